#include "daemon/daemon.h"

#include <boost/asio/post.hpp>
#include <boost/asio/ip/host_name.hpp>
#include <csignal>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/desired_state.h"
#include "daemon/host_address.h"
#include "daemon/routes.h"
#include "network/blackhole_route.h"
#include "network/cni_chains.h"
#include "network/egress_guard.h"
#include "network/port_holder.h"
#include "network/subnet_check.h"
#include "os/subprocess.h"
#include "os/atomic_file.h"
#include "mesos/backend_settings.h"
#include "spec/spec_parser.h"
#include "spec/spec_writer.h"

namespace coral::daemon {
namespace {

// The scheduler re-runs its decision step this often even without news, so
// that backoffs end and declined offers come back on time.
constexpr auto kTickInterval = std::chrono::milliseconds(250);
// Where nodes reach the management API: the gateway address of the cluster
// network, which is on the host side of every node's veth.
constexpr uint16_t kApiPort = 7480;
// How long `down` waits for an unreachable Mesos master before it answers.
constexpr auto kMesosDownPatience = std::chrono::seconds(30);

}  // namespace

Daemon::Daemon(DaemonOptions options)
    : options_(std::move(options)),
      dir_(options_.state_dir),
      ticker_(loop_),
      signals_(loop_, SIGTERM, SIGINT) {}

Daemon::~Daemon() {
  if (backend_) backend_->stop();
}

int Daemon::run() {
  auto lock = DaemonLock::acquire(dir_.lock());
  if (!lock) {
    spdlog::error("{}", lock.message());
    return 2;
  }
  auto token = ensureSecret(dir_.apiToken());
  if (!token) {
    spdlog::error("{}", token.message());
    return 1;
  }
  api_token_ = *token;
  if (auto notebook = ensureSecret(dir_.notebookToken()); !notebook) {
    spdlog::error("{}", notebook.message());
    return 1;
  }
  auto node_token = ensureSecret(dir_.nodeToken());
  if (!node_token) {
    spdlog::error("{}", node_token.message());
    return 1;
  }
  node_token_ = *node_token;
  if (auto files = prepareNodeFiles(); !files) {
    spdlog::error("{}", files.message());
    return 1;
  }

  api::Router router;
  Routes::install(*this, router);
  api::AuthPolicy auth{api_token_, {"/healthz"}, {{node_token_, {std::string(kSharedNodeFilesRoute)}}}};
  server_ = std::make_unique<api::Server>(loop_, std::move(router), std::move(auth));
  if (auto listening = server_->listenUnix(dir_.socket(), 0600); !listening) {
    spdlog::error("{}", listening.message());
    return 1;
  }

  // A restarted daemon resumes the spec it was converging to and adopts the
  // containers that still run.
  if (std::filesystem::exists(dir_.spec())) {
    auto text = os::readFile(dir_.spec());
    if (text) {
      if (auto applied = applySpec(*text, dir_.spec()); !applied) {
        spdlog::error("cannot resume from {}: {}", dir_.spec(), applied.message());
      }
    }
  }

  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: stopping the daemon; the cluster keeps running", signal);
    stopServing();
  });
  tick();
  spdlog::info("coral daemon serving {} (pid {})", dir_.socket(), ::getpid());
  loop_.run();
  if (backend_) backend_->stop();
  blocking_.join();
  spdlog::info("coral daemon stopped");
  return 0;
}

void Daemon::tick() {
  if (scheduler_) scheduler_->step();
  if (network_ && !api_on_network_ && !shutting_down_) listenOnClusterNetwork();
  if (shutting_down_) finishShutdownIfDone();
  ticker_.expires_after(kTickInterval);
  ticker_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

core::NodeFiles Daemon::nodeFiles() const {
  if (options_.backend == "mesos") {
    // Agents are other machines: nodes fetch the files over the API.
    core::NodeFiles files;
    files.api_url = node_api_url_;
    if (!node_api_url_.empty()) {
      files.fetch_url = node_api_url_ + "/v1/node-files";
      files.worker_token = node_token_;
      files.notebook_token_for_fetch = api_token_;
    }
    return files;
  }
  core::NodeFiles files;
  files.notebook_token = dir_.notebookToken();
  files.share_dir = dir_.shareDir();
  files.notebook_dir = dir_.notebookDir();
  if (network_) files.api_url = fmt::format("http://{}:{}", network_->gateway, kApiPort);
  return files;
}

Status Daemon::prepareNodeFiles() {
  if (auto created = dir_.create(); !created) return created;
  const std::string key = dir_.notebookDir() + "/id_ed25519";
  if (!std::filesystem::exists(key)) {
    auto generated = os::runChecked({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                                     "coral-cluster", "-f", key});
    if (!generated) {
      return makeError(fmt::format("cannot create the cluster's SSH key: {}; install openssh-client",
                                   generated.message()));
    }
  }
  auto public_key = os::readFile(key + ".pub");
  if (!public_key) return public_key.error();
  if (auto s = os::writeFileAtomically(dir_.shareDir() + "/authorized_keys", *public_key, 0644); !s) return s;
  if (auto s = os::writeFileAtomically(dir_.notebookDir() + "/api-token", api_token_ + "\n", 0600); !s) return s;
  // Nodes on agents fetch it before they start, also when no policy exists.
  const std::string mac_rules = dir_.shareDir() + "/mac-rules";
  if (!std::filesystem::exists(mac_rules)) {
    if (auto s = os::writeFileAtomically(mac_rules, "", 0644); !s) return s;
  }
  return okStatus();
}

void Daemon::writeHostsInventory() {
  if (!scheduler_) return;
  std::map<std::string, std::string> hostnames;
  for (const auto& node : scheduler_->desired()) hostnames[node.name] = node.hostname;
  std::string text = "127.0.0.1\tlocalhost\n";
  for (const auto& node : scheduler_->nodes()) {
    if (node.ip.empty() || !hostnames.count(node.name)) continue;
    text += fmt::format("{}\t{} {}\n", node.ip, hostnames[node.name], node.name);
  }
  if (text == hosts_written_) return;
  if (auto s = os::writeFileAtomically(dir_.shareDir() + "/hosts", text, 0644); !s) {
    spdlog::warn("cannot update the hosts inventory: {}", s.message());
    return;
  }
  hosts_written_ = text;
}

void Daemon::listenOnClusterNetwork() {
  // The gateway address exists on the host once the first node is attached.
  auto listening = server_->listenTcp(network_->gateway, kApiPort);
  if (!listening) return;
  api_on_network_ = true;
  spdlog::info("management API for nodes on http://{}:{}", network_->gateway, kApiPort);
}

Status Daemon::applySpec(const std::string& yaml_text, const std::string& file_name) {
  if (shutting_down_) {
    return makeError("the cluster is being taken down; wait for `coral down` to finish");
  }
  auto spec = spec::parseSpec(yaml_text, file_name);
  if (!spec) return spec.error();
  const auto desired = core::desiredNodes(*spec, nodeFiles());
  auto spec_policies =
      PolicyManager::parseSpecPolicies(yaml_text, file_name, policyTopology(&desired).nodes);
  if (!spec_policies) return spec_policies.error();
  if (scheduler_) {
    const auto& current = scheduler_->spec();
    if (current.name != spec->name) {
      return makeError(fmt::format(
          "this state dir belongs to cluster \"{}\", the spec names \"{}\"; use another "
          "--state-dir or `coral down` first",
          current.name, spec->name));
    }
    if (current.network.name != spec->network.name || current.network.subnet != spec->network.subnet) {
      return makeError(fmt::format(
          "the spec changes the network ({} {} → {} {}), which running nodes cannot follow; run "
          "`coral down` first",
          current.network.name, current.network.subnet, spec->network.name, spec->network.subnet));
    }
  } else {
    if (options_.resume) {
      if (auto ok = preflight(*spec); !ok) return ok;
    }
    if (auto started = startBackend(*spec); !started) return started;
  }
  if (auto saved = os::writeFileAtomically(dir_.spec(), yaml_text, 0600); !saved) return saved;
  scheduler_->setDesired(*spec, options_.resume ? core::desiredNodes(*spec, nodeFiles())
                                                : std::vector<core::NodeSpec>{});
  return policies_->replaceSpecPolicies(std::move(*spec_policies), policyTopology());
}

Status Daemon::preflight(const core::ClusterSpec& spec) {
  // On Mesos the agents are checked by their offers (images, port 8888).
  if (options_.backend == "mesos") return okStatus();
  docker::DockerClient docker(options_.docker_socket);
  if (auto ping = docker.ping(); !ping) return ping;
  for (const auto& image : {spec.worker_image, spec.notebook_image}) {
    auto found = docker.inspectImage(image);
    if (!found) return found.error();
    if (!found->has_value()) {
      return makeError(fmt::format(
          "image {} is not on this machine; build it with `make images` (images/build.sh)", image));
    }
  }
  // A cluster that already exists owns its subnet and port: only a first
  // start must find them free.
  docker::DockerClient probe(options_.docker_socket);
  auto ours = probe.listContainers({{core::kLabelCluster, spec.name}}, true);
  if (ours && !ours->empty()) return okStatus();
  if (auto free = network::checkSubnetFree(spec.network.subnet, spec.network.name); !free) return free;
  if (auto holder = network::describePortHolder(spec.notebook_host_port)) {
    return makeError(fmt::format(
        "host port {} for the notebook is already taken by {}; stop it, or set `notebook.port` in "
        "the cluster spec",
        spec.notebook_host_port, *holder));
  }
  return okStatus();
}

Status Daemon::startMesosBackend(const core::ClusterSpec& spec) {
  auto settings = mesos::loadSettings(dir_.root());
  if (!settings) return settings.error();
  auto options = mesos::backendOptions(*settings);
  if (!options) return options.error();
  options->cluster = spec.name;
  options->network = spec.network.name;
  options->stateDir = dir_.root();
  options->hostname = boost::asio::ip::host_name();
  options->gatewayImage = spec.worker_image;
  auto api = mesos::parseApiAddress(settings->apiAddress, hostAddress());
  if (!api) return api.error();
  if (!api_on_network_) {
    if (auto listening = server_->listenTcp(api->ip, api->port); !listening) {
      return makeError(fmt::format(
          "cannot serve the management API for the Mesos tasks on {}:{}: {}; choose another "
          "address with `coral up --backend mesos --api-address IP:PORT`",
          api->ip, api->port, listening.message()));
    }
    api_on_network_ = true;
  }
  node_api_url_ = fmt::format("http://{}:{}", api->ip, api->port);
  spread_ = settings->spread;
  calico_etcd_ = settings->calicoEtcd;
  options->webuiUrl = node_api_url_;
  spdlog::info("management API for the tasks on {}", node_api_url_);
  auto backend = std::make_unique<mesos::MesosBackend>(loop_, std::move(*options));
  if (auto prepared = backend->prepare(); !prepared) return prepared;
  spdlog::info("mesos backend: master {}, {} containerizer, network {}", settings->master,
               settings->containerizer, spec.network.name);
  mesos_ = backend.get();
  backend_ = std::move(backend);
  return okStatus();
}

Status Daemon::startBackend(const core::ClusterSpec& spec) {
  auto created = options_.backend == "mesos" ? startMesosBackend(spec) : startLocalBackend(spec);
  if (!created) return created;
  PolicyEnforcement enforcement;
  enforcement.host_iptables = options_.backend != "mesos";
  enforcement.calico_etcd = calico_etcd_;
  if (mesos_) enforcement.sender_mac_rules = dir_.shareDir() + "/mac-rules";
  policies_ = std::make_unique<PolicyManager>(dir_.root() + "/policies.yaml", spec.name,
                                              std::move(enforcement));
  if (auto loaded = policies_->load(); !loaded) spdlog::error("{}", loaded.message());
  scheduler_ = std::make_unique<core::Scheduler>(
      *backend_, [] { return std::chrono::steady_clock::now(); }, spread_);
  scheduler_->setEventListener([this](const core::NodeEvent& event) {
    nlohmann::json data{{"sequence", event.sequence},
                        {"node", event.node},
                        {"state", event.state},
                        {"message", event.message}};
    std::string text = data.dump();
    std::erase_if(event_streams_, [&](const auto& stream) {
      return !stream->send("node", text, event.sequence);
    });
    spdlog::info("node {}: {}{}", event.node, event.state,
                 event.message.empty() ? "" : " (" + event.message + ")");
    writeHostsInventory();
    refreshPolicies();
  });
  scheduler_->start();
  return okStatus();
}

Status Daemon::startLocalBackend(const core::ClusterSpec& spec) {
  network::NetworkSettings settings{spec.network.name, spec.network.subnet};
  network::Options net_options;
  net_options.config_dir = options_.cni_config_dir;
  auto network = network::resolveNetwork(settings, dir_.root(), net_options);
  if (!network) return network.error();
  if (auto hole = network::addBlackholeRoute(spec.network.subnet); !hole) return hole;
  if (network->plugin == network::Plugin::Ptp) {
    if (auto guard = network::addEgressGuard(spec.network.subnet); !guard) {
      (void)network::removeBlackholeRoute(spec.network.subnet);
      return guard;
    }
  }
  network_ = *network;
  spdlog::info("network {} uses the {} plugin ({}), subnet {}", network_->name,
               network::pluginName(network_->plugin), network_->config_path, network_->subnet);
  attacher_ = std::make_unique<network::Attacher>(net_options, dir_.root());
  auto backend = std::make_unique<local::LocalBackend>(
      loop_, *attacher_, local::LocalBackendOptions{spec.name, *network_, options_.docker_socket});
  local_ = backend.get();
  backend_ = std::move(backend);
  return okStatus();
}

Status Daemon::scaleWorkers(int workers) {
  if (!scheduler_) return makeError("no cluster yet; run `coral up` first");
  core::ClusterSpec spec = scheduler_->spec();
  spec.workers = workers;
  // Persisted as YAML so that a restarted daemon converges to the new size.
  // The spec's policies are not part of ClusterSpec: keep them in the file.
  const std::string text = spec::toYaml(spec) + (policies_ ? policies_->specPoliciesYaml() : "");
  if (auto saved = os::writeFileAtomically(dir_.spec(), text, 0600); !saved) return saved;
  scheduler_->setDesired(spec, core::desiredNodes(spec, nodeFiles()));
  return okStatus();
}

nlohmann::json Daemon::nodeJson(const core::NodeView& node) const {
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& port : node.ports) ports.push_back({{"host", port.host}, {"container", port.container}});
  return {{"name", node.name},         {"role", core::roleName(node.role)},
          {"state", node.state},       {"ip", node.ip},
          {"host", node.host},         {"ports", ports},
          {"message", node.message},   {"generation", node.generation},
          {"instance", node.instance_id}, {"failures", node.failures}};
}

nlohmann::json Daemon::statusJson() const {
  nlohmann::json status;
  const core::ClusterSpec spec = scheduler_ ? scheduler_->spec() : core::ClusterSpec{};
  status["cluster"] = scheduler_ ? nlohmann::json(spec.name) : nlohmann::json(nullptr);
  status["backend"] = options_.backend;
  if (mesos_) {
    status["mesos"] = {{"framework_id", mesos_->frameworkId().value_or("")},
                       {"connection", mesos_->connectionState()},
                       {"error", mesos_->fatalError()}};
  }
  std::string notebook_host = hostAddress();
  if (mesos_ && scheduler_) {
    auto notebook = scheduler_->node(core::notebookName());
    notebook_host = notebook && !notebook->host.empty() ? notebook->host : "";
  }
  status["network"] = {{"name", network_ ? network_->name : spec.network.name},
                       {"plugin", network_ ? network::pluginName(network_->plugin) : ""},
                       {"subnet", network_ ? network_->subnet : spec.network.subnet}};
  nlohmann::json nodes = nlohmann::json::array();
  if (scheduler_) {
    for (const auto& node : scheduler_->nodes()) nodes.push_back(nodeJson(node));
  }
  status["nodes"] = nodes;
  status["converged"] = scheduler_ && scheduler_->converged();
  status["notebook"] = {
      {"url", notebook_host.empty() ? std::string()
                                    : fmt::format("http://{}:{}/", notebook_host, spec.notebook_host_port)},
      {"token_file", dir_.notebookToken()}};
  status["state_dir"] = dir_.root();
  return status;
}

void Daemon::beginShutdown(api::Responder responder) {
  shutdown_waiters_.push_back(std::move(responder));
  if (!shutting_down_) {
    shutting_down_ = true;
    shutdown_began_ = std::chrono::steady_clock::now();
    spdlog::info("taking the cluster down");
    if (scheduler_) scheduler_->setDesired(scheduler_->spec(), {});
  }
  finishShutdownIfDone();
}

void Daemon::finishShutdownIfDone() {
  answerIfMesosUnreachable();
  // Launches still under way would leave containers behind: wait for them
  // to report, be killed and be gone.
  if (scheduler_ && !scheduler_->idle()) return;
  // Mesos: every task is gone; only `down` removes the framework itself.
  if (mesos_ && !teardown_done_) {
    // A daemon started by `down` may not be subscribed yet; TEARDOWN needs a
    // master (answerIfMesosUnreachable speaks up if none comes).
    if (teardown_started_ || !mesos_->subscribed()) return;
    teardown_started_ = true;
    mesos_->teardown([this](Status torn) {
      if (!torn) teardown_problem_ = "mesos TEARDOWN: " + torn.message();
      teardown_done_ = true;
      finishShutdownIfDone();
    });
    return;
  }
  std::vector<std::string> problems;
  if (network_) {
    if (auto s = network::removeBlackholeRoute(network_->subnet); !s) problems.push_back(s.message());
    if (auto s = network::removeEgressGuard(network_->subnet); !s) problems.push_back(s.message());
    if (auto s = network::removeEmptyCniChains(); !s) problems.push_back(s.message());
  }
  if (policies_) {
    if (auto s = policies_->removeAll(); !s) problems.push_back(s.message());
  }
  if (!teardown_problem_.empty()) problems.push_back(teardown_problem_);
  nlohmann::json body{{"down", true}, {"problems", problems}};
  for (auto& waiter : shutdown_waiters_) waiter.send(api::jsonResponse(body));
  shutdown_waiters_.clear();
  // Let the answers go out before the listeners close.
  boost::asio::post(loop_, [this] { stopServing(); });
}

void Daemon::answerIfMesosUnreachable() {
  // Tasks can only be killed through a master. Without one, `down` must not
  // hang: say so, and keep trying in the background (the daemon re-sends the
  // kills and TEARDOWN once it is subscribed again, then exits).
  if (!mesos_ || mesos_->subscribed() || shutdown_waiters_.empty()) return;
  if (std::chrono::steady_clock::now() - shutdown_began_ < kMesosDownPatience) return;
  const std::string message = fmt::format(
      "the Mesos master cannot be reached ({}{}), so the tasks cannot be killed yet; the daemon "
      "keeps trying and takes the cluster down as soon as a master answers (`coral status` shows "
      "progress); check --master and the master's health",
      mesos_->connectionState(), mesos_->fatalError().empty() ? "" : ": " + mesos_->fatalError());
  spdlog::warn("down: {}", message);
  for (auto& waiter : shutdown_waiters_) waiter.send(api::jsonError(503, "mesos_unreachable", message));
  shutdown_waiters_.clear();
}

void Daemon::stopServing() {
  ticker_.cancel();
  signals_.cancel();
  for (auto& stream : event_streams_) stream->close();
  event_streams_.clear();
  if (server_) server_->stop();
  if (backend_) backend_->stop();
}

}  // namespace coral::daemon
