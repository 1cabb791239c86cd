#include "mesos/mesos_backend.h"

#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <spdlog/spdlog.h>

#include "core/desired_state.h"
#include "mesos/calls.h"
#include "mesos/framework_info.h"
#include "mesos/offer_resources.h"
#include "os/atomic_file.h"

namespace coral::mesos {
namespace {

constexpr const char* kGatewayInfix = "-gateway.";

bool isTerminal(v1::TaskState state) {
  switch (state) {
    case v1::TASK_FINISHED:
    case v1::TASK_FAILED:
    case v1::TASK_KILLED:
    case v1::TASK_LOST:
    case v1::TASK_ERROR:
    case v1::TASK_DROPPED:
    case v1::TASK_GONE:
    case v1::TASK_GONE_BY_OPERATOR:
      return true;
    default:
      return false;
  }
}

std::optional<core::Phase> phaseOf(v1::TaskState state) {
  switch (state) {
    case v1::TASK_STAGING: return core::Phase::Launching;
    case v1::TASK_STARTING: return core::Phase::Starting;
    case v1::TASK_RUNNING: return core::Phase::Running;
    case v1::TASK_KILLING: return core::Phase::Stopping;
    case v1::TASK_KILLED:
    case v1::TASK_FINISHED: return std::nullopt;  // gone
    default: return core::Phase::Failed;          // FAILED LOST ERROR DROPPED GONE UNREACHABLE ...
  }
}

std::optional<core::Phase> parsePhase(const std::string& name) {
  for (auto phase : {core::Phase::Launching, core::Phase::Attaching, core::Phase::Starting,
                     core::Phase::Running, core::Phase::Failed, core::Phase::Stopping}) {
    if (core::phaseName(phase) == name) return phase;
  }
  return std::nullopt;
}

std::string statusMessage(const v1::TaskStatus& status) {
  std::string text = v1::TaskState_Name(status.state());
  if (status.has_reason()) text += " (" + v1::TaskStatus::Reason_Name(status.reason()) + ")";
  if (!status.message().empty()) text += ": " + status.message();
  return text;
}

}  // namespace

MesosBackend::MesosBackend(boost::asio::io_context& loop, MesosBackendOptions options)
    : loop_(loop), options_(std::move(options)), reconcile_timer_(loop) {
  random01_ = options_.random01;
  if (!random01_) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    random01_ = [engine] { return std::uniform_real_distribution<double>(0, 1)(*engine); };
  }
}

MesosBackend::~MesosBackend() {
  *alive_ = false;
  stop();
  connection_.reset();
}

std::string MesosBackend::connectionState() const {
  if (!connection_) return "not started";
  return std::string(toString(connection_->state()));
}

bool MesosBackend::subscribed() const {
  return connection_ && connection_->state() == MasterConnection::State::kSubscribed;
}

std::optional<std::string> MesosBackend::frameworkId() const {
  return connection_ ? connection_->frameworkId() : std::nullopt;
}

std::optional<SandboxLocation> MesosBackend::sandboxOf(const std::string& taskId) const {
  auto record = tasks_.find(taskId);
  auto framework = frameworkId();
  if (record == tasks_.end() || !framework) return std::nullopt;
  SandboxLocation where;
  if (auto url = agent_urls_.find(record->second.agentId); url != agent_urls_.end()) {
    where.agentHost = url->second.host;
    where.agentPort = url->second.port;
  } else if (!record->second.host.empty()) {
    where.agentHost = record->second.host;  // an adopted task: the agent's default port
  } else {
    return std::nullopt;
  }
  where.frameworkId = *framework;
  where.executorId = record->second.executorId.empty() ? taskId : record->second.executorId;
  where.authorization = authorization_;
  return where;
}

std::optional<std::string> MesosBackend::gatewayTaskId() const {
  for (const auto& [id, record] : tasks_) {
    if (record.gateway && !terminal_.count(id)) return id;
  }
  return std::nullopt;
}

Status MesosBackend::prepare() {
  if (connection_) return okStatus();
  auto spec = parseMasterSpec(options_.master);
  if (!spec) return makeError("--master: " + spec.message());
  FrameworkConfig config;
  config.user = options_.user;
  config.name = "coral-" + options_.cluster;
  config.roles = options_.roles;
  config.failoverTimeoutSeconds = options_.failoverTimeoutSeconds;
  config.principal = options_.principal;
  config.hostname = options_.hostname;
  config.webuiUrl = options_.webuiUrl;
  // Partitioned agents then report TASK_UNREACHABLE (relaunched elsewhere at
  // once) instead of TASK_LOST, and a task that comes back is reported again:
  // the core sees two instances of the node and kills the older one.
  config.extraCapabilities = {v1::FrameworkInfo::Capability::PARTITION_AWARE};
  auto info = buildFrameworkInfo(config);
  if (!info) return info.error();

  MasterConnectionOptions connection;
  connection.detector = makeLeaderDetector(loop_, *spec);
  connection.contentType = options_.contentType;
  connection.frameworkInfo = *info;
  if (options_.principal && !options_.secretFile.empty()) {
    auto credentials = loadCredentials(*options_.principal, options_.secretFile);
    if (!credentials) return credentials.error();
    connection.credentials = *credentials;
    authorization_ = credentials->authorizationHeader();
  }
  connection.idStore.emplace(options_.stateDir);
  // Nothing is wanted until the core says so: subscribe suppressed.
  connection.suppressedRoles = options_.roles;
  connection.policy = options_.policy;
  connection.timers = options_.timers;
  connection.random01 = options_.random01;

  std::weak_ptr<bool> alive = alive_;
  MasterConnectionHandlers handlers;
  handlers.onEvent = [this, alive](const v1::scheduler::Event& event) {
    if (alive.lock()) onEvent(event);
  };
  handlers.onDisconnected = [this, alive](const std::string& reason) {
    if (!alive.lock()) return;
    spdlog::warn("mesos: subscription lost ({}); re-subscribing", reason);
    offers_.clear();
    offers_revived_.reset();
  };
  handlers.onFatal = [this, alive](const Error& error) {
    if (!alive.lock()) return;
    fatal_ = error.message;
    spdlog::error("mesos: {}", error.message);
  };
  connection_ = std::make_unique<MasterConnection>(loop_, std::move(connection), std::move(handlers));
  return okStatus();
}

void MesosBackend::start(core::SchedulerEvents& events) {
  events_ = &events;
  loadStore();
  // Report what we launched before anything else, so that the core adopts
  // it instead of launching twins; reconciliation corrects the phases.
  for (const auto& [id, record] : tasks_) {
    if (record.gateway) continue;
    core::Instance instance;
    instance.id = id;
    instance.node = record.node;
    instance.spec_hash = record.specHash;
    instance.generation = record.generation;
    instance.phase = parsePhase(record.phase).value_or(core::Phase::Launching);
    if (instance.phase == core::Phase::Failed || instance.phase == core::Phase::Stopping) {
      instance.phase = core::Phase::Starting;
    }
    instance.ip = record.ip;
    instance.host = record.host;
    instance.message = "reconciling with the Mesos master";
    if (record.hostPort > 0) instance.ports.push_back({record.hostPort, record.containerPort});
    instances_[id] = instance;
    events.onInstance(instance);
  }
  if (auto prepared = prepare(); !prepared) {
    fatal_ = prepared.message();
    spdlog::error("mesos: {}", fatal_);
    return;
  }
  if (auto started = connection_->start(); !started) {
    fatal_ = started.message();
    spdlog::error("mesos: {}", fatal_);
    return;
  }
  reconcileTimer();
}

void MesosBackend::reconcileTimer() {
  reconcile_timer_.expires_after(options_.reconcileInterval);
  std::weak_ptr<bool> alive = alive_;
  reconcile_timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || !alive.lock() || stopped_) return;
    if (subscribed()) connection_->send(calls::reconcileAll());
    reconcileTimer();
  });
}

void MesosBackend::stop() {
  if (stopped_) return;
  stopped_ = true;
  reconcile_timer_.cancel();
  if (connection_) connection_->stop();
}

void MesosBackend::teardown(std::function<void(Status)> done) {
  if (!connection_ || !subscribed()) {
    done(makeError("not subscribed to a Mesos master (" + connectionState() +
                   (fatal_.empty() ? "" : ": " + fatal_) + ")"));
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  connection_->teardown([this, alive, done = std::move(done)](Status status) {
    if (alive.lock() && status) {
      tasks_.clear();
      saveStore();
    }
    done(std::move(status));
  });
}

// --- events ------------------------------------------------------------------

void MesosBackend::onEvent(const v1::scheduler::Event& event) {
  using Event = v1::scheduler::Event;
  switch (event.type()) {
    case Event::SUBSCRIBED:
      onSubscribed();
      break;
    case Event::OFFERS:
      onOffers(event.offers());
      break;
    case Event::RESCIND: {
      const std::string id = event.rescind().offer_id().value();
      offers_.erase(id);
      if (events_) events_->onOfferRescinded(id);
      break;
    }
    case Event::UPDATE:
      onUpdate(event.update().status());
      break;
    case Event::FAILURE:
      if (event.failure().has_executor_id()) {
        spdlog::warn("mesos: executor {} on agent {} exited", event.failure().executor_id().value(),
                     event.failure().agent_id().value());
      } else {
        spdlog::warn("mesos: agent {} failed; its tasks will be reported lost",
                     event.failure().agent_id().value());
      }
      break;
    case Event::ERROR:
      fatal_ = "the Mesos master ended the framework: " + event.error().message();
      spdlog::error("mesos: {}", fatal_);
      break;
    default:
      break;  // HEARTBEAT, MESSAGE, INVERSE_OFFERS, UPDATE_OPERATION_STATUS: nothing to do
  }
}

void MesosBackend::onSubscribed() {
  spdlog::info("mesos: subscribed as framework {}", frameworkId().value_or("?"));
  fatal_.clear();
  offers_.clear();
  offers_revived_.reset();
  std::vector<calls::TaskToReconcile> known;
  for (const auto& [id, record] : tasks_) {
    known.push_back({id, record.agentId.empty() ? std::nullopt
                                                : std::optional<std::string>(record.agentId)});
  }
  if (!known.empty()) connection_->send(calls::reconcile(known));
  connection_->send(calls::reconcileAll());
  for (const auto& id : killing_) sendKill(id);
  applyOfferInterest();
}

void MesosBackend::onOffers(const v1::scheduler::Event::Offers& offers) {
  std::vector<core::Offer> converted;
  for (const auto& offer : offers.offers()) {
    const std::string& agent = offer.agent_id().value();
    agent_hosts_[agent] = offer.hostname();
    if (offer.has_url() && offer.url().has_address()) {
      const auto& address = offer.url().address();
      agent_urls_[agent] = AgentUrl{address.ip().empty() ? address.hostname() : address.ip(),
                                    static_cast<uint16_t>(address.port())};
    }
    for (auto& [id, record] : tasks_) {
      if (record.agentId == agent && record.host.empty()) record.host = offer.hostname();
    }
    if (tryLaunchGateway(offer)) continue;
    core::Offer out;
    out.id = offer.id().value();
    out.agent_id = agent;
    out.hostname = offer.hostname();
    for (const auto& resource : offer.resources()) {
      if (resource.has_reservation() || resource.reservations_size() > 0) continue;
      if (resource.name() == "cpus" && resource.has_scalar()) out.cpus += resource.scalar().value();
      if (resource.name() == "mem" && resource.has_scalar())
        out.mem_mb += static_cast<int64_t>(resource.scalar().value());
      if (resource.name() == "ports" && resource.has_ranges()) {
        for (const auto& range : resource.ranges().range()) {
          out.ports.push_back({static_cast<int>(range.begin()), static_cast<int>(range.end())});
        }
      }
    }
    offers_[out.id] = offer;
    converted.push_back(std::move(out));
  }
  if (!converted.empty() && events_) events_->onOffers(std::move(converted));
}

void MesosBackend::onUpdate(const v1::TaskStatus& status) {
  if (connection_) connection_->acknowledge(status);
  const std::string id = status.task_id().value();
  auto found = tasks_.find(id);
  if (found == tasks_.end()) {
    // Not in the store: adopt it from its ID, unless it is over anyway.
    if (isTerminal(status.state())) return;
    TaskRecord record;
    if (id.find(kGatewayInfix) != std::string::npos) {
      record.gateway = true;
    } else {
      auto parsed = parseTaskId(id);
      if (!parsed) {
        spdlog::warn("mesos: ignoring task {} (not a Coral task ID)", id);
        return;
      }
      record.node = parsed->node;
      record.generation = static_cast<int>(parsed->generation);
    }
    record.agentId = status.agent_id().value();
    if (auto host = agent_hosts_.find(record.agentId); host != agent_hosts_.end())
      record.host = host->second;
    found = tasks_.emplace(id, record).first;
    spdlog::info("mesos: adopting task {} found by reconciliation", id);
  }
  TaskRecord& record = found->second;
  if (status.has_agent_id() && !status.agent_id().value().empty())
    record.agentId = status.agent_id().value();
  if (status.has_executor_id() && !status.executor_id().value().empty())
    record.executorId = status.executor_id().value();
  if (record.host.empty()) {
    if (auto host = agent_hosts_.find(record.agentId); host != agent_hosts_.end())
      record.host = host->second;
  }

  if (record.gateway) {
    if (isTerminal(status.state())) {
      spdlog::info("mesos: gateway task {} ended: {}", id, statusMessage(status));
      tasks_.erase(id);
      killing_.erase(id);
      saveStore();
    }
    checkGateway();
    return;
  }

  auto phase = phaseOf(status.state());
  if (!phase) {
    reportGone(id);
    return;
  }
  core::Instance& instance = instances_[id];
  instance.id = id;
  instance.node = record.node;
  instance.spec_hash = record.specHash;
  instance.generation = record.generation;
  instance.host = record.host;
  instance.ports.clear();
  if (record.hostPort > 0) instance.ports.push_back({record.hostPort, record.containerPort});
  auto ips = containerIps(status, options_.network);
  if (!ips.empty()) record.ip = ips.front();
  instance.ip = record.ip;
  if (status.has_healthy()) record.healthy = status.healthy();
  // RUNNING means the process runs; with a health check, ready means it answers.
  const bool waitingForHealth =
      *phase == core::Phase::Running && !record.healthCheck.empty() && !record.healthy;
  if (waitingForHealth) phase = core::Phase::Starting;
  instance.phase = *phase;
  if (waitingForHealth) {
    instance.message = "waiting for its Mesos health check (" + record.healthCheck + ")";
  } else if (*phase == core::Phase::Failed) {
    instance.message = statusMessage(status);
    if (isTerminal(status.state())) terminal_.insert(id);
  } else if (*phase == core::Phase::Running) {
    instance.message = "";
  } else {
    instance.message = status.message();
  }
  bool changed = record.phase != core::phaseName(*phase) || !ips.empty();
  record.phase = core::phaseName(*phase);
  if (changed) saveStore();
  if (events_) events_->onInstance(instance);
  if (record.hostPort > 0) checkGateway();
}

void MesosBackend::reportGone(const std::string& taskId) {
  auto record = tasks_.find(taskId);
  bool notebook = record != tasks_.end() && record->second.hostPort > 0;
  tasks_.erase(taskId);
  instances_.erase(taskId);
  terminal_.erase(taskId);
  killing_.erase(taskId);
  saveStore();
  if (events_) events_->onInstanceGone(taskId);
  if (notebook) checkGateway();
}

// --- gateway (docker containerizer) ---------------------------------------

void MesosBackend::checkGateway() {
  if (options_.containerizer != Containerizer::kDocker) return;
  std::optional<GatewayWanted> wanted;
  for (const auto& [id, record] : tasks_) {
    if (record.gateway || record.hostPort <= 0 || record.ip.empty()) continue;
    auto instance = instances_.find(id);
    if (instance == instances_.end() || instance->second.phase != core::Phase::Running) continue;
    wanted = GatewayWanted{record.agentId, record.node,
                           record.ip + ":" + std::to_string(record.containerPort),
                           static_cast<uint32_t>(record.hostPort)};
  }
  bool have = false;
  for (const auto& [id, record] : tasks_) {
    if (!record.gateway || terminal_.count(id)) continue;
    if (wanted && !have && record.agentId == wanted->agentId && record.target == wanted->target) {
      have = true;
      continue;
    }
    if (!killing_.count(id)) {
      spdlog::info("mesos: stopping gateway {} (the notebook moved or is gone)", id);
      sendKill(id);
    }
  }
  gateway_wanted_ = have ? std::nullopt : wanted;
  applyOfferInterest();
}

bool MesosBackend::tryLaunchGateway(const v1::Offer& offer) {
  if (!gateway_wanted_ || offer.agent_id().value() != gateway_wanted_->agentId) return false;
  OfferResources resources(offer);
  auto taken = resources.take(
      ResourceRequest{options_.gatewayCpus, options_.gatewayMemMb, {gateway_wanted_->hostPort}});
  if (!taken) {
    spdlog::warn("mesos: cannot start the notebook gateway on {}: {}", offer.hostname(),
                 taken.message());
    return false;
  }
  const GatewayWanted wanted = *gateway_wanted_;
  const auto stamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const std::string id = wanted.node + kGatewayInfix + std::to_string(stamp) + "." +
                         std::to_string(++gateway_generation_);
  v1::TaskInfo task;
  task.set_name(options_.cluster + "/" + wanted.node + "-gateway");
  task.mutable_task_id()->set_value(id);
  *task.mutable_agent_id() = offer.agent_id();
  for (auto& resource : taken->resources) *task.add_resources() = std::move(resource);
  auto label = [&](const std::string& key, const std::string& value) {
    auto* l = task.mutable_labels()->add_labels();
    l->set_key(key);
    l->set_value(value);
  };
  label("cluster", options_.cluster);
  label("node", wanted.node);
  label("role", "gateway");
  // docker run --net host --entrypoint=socat <image> TCP-LISTEN:... TCP:ip:port
  auto* command = task.mutable_command();
  command->set_shell(false);
  command->set_value("TCP-LISTEN:" + std::to_string(wanted.hostPort) + ",fork,reuseaddr");
  command->add_arguments("TCP:" + wanted.target);
  auto* container = task.mutable_container();
  container->set_type(v1::ContainerInfo::DOCKER);
  auto* docker = container->mutable_docker();
  docker->set_image(options_.gatewayImage);
  docker->set_network(v1::ContainerInfo::DockerInfo::HOST);
  docker->set_force_pull_image(false);
  auto* parameter = docker->add_parameters();
  parameter->set_key("entrypoint");
  parameter->set_value("socat");

  TaskRecord record;
  record.agentId = offer.agent_id().value();
  record.host = offer.hostname();
  record.node = wanted.node;
  record.gateway = true;
  record.target = wanted.target;
  record.phase = "launching";
  tasks_[id] = record;
  saveStore();
  gateway_wanted_.reset();
  spdlog::info("mesos: gateway {} on {}: host port {} -> {}", id, offer.hostname(),
               wanted.hostPort, wanted.target);
  std::weak_ptr<bool> alive = alive_;
  connection_->send(
      calls::accept({offer.id()}, {task},
                    calls::jitteredRefuseSeconds(options_.acceptRefuseSeconds, random01_())),
      [this, alive, id](Status status) {
        if (status || !alive.lock()) return;
        spdlog::warn("mesos: launching gateway {} failed: {}", id, status.message());
        tasks_.erase(id);
        saveStore();
        checkGateway();
      });
  applyOfferInterest();
  return true;
}

// --- core::Backend --------------------------------------------------------

void MesosBackend::applyOfferInterest() {
  if (!subscribed()) return;
  bool want = core_wants_offers_ || gateway_wanted_.has_value();
  if (offers_revived_ == want) return;
  offers_revived_ = want;
  connection_->send(want ? calls::revive({}) : calls::suppress({}));
}

void MesosBackend::setOfferInterest(bool wanted) {
  core_wants_offers_ = wanted;
  applyOfferInterest();
}

void MesosBackend::decline(const core::Offer& offer) {
  auto raw = offers_.find(offer.id);
  if (raw == offers_.end()) return;  // rescinded or from an old subscription
  v1::OfferID id = raw->second.id();
  offers_.erase(raw);
  connection_->send(calls::decline(
      {id}, calls::jitteredRefuseSeconds(options_.declineRefuseSeconds, random01_())));
}

void MesosBackend::launch(const core::Offer& offer,
                          const std::vector<core::LaunchRequest>& launches) {
  std::weak_ptr<bool> alive = alive_;
  auto failLater = [this, alive](std::string node, int generation, std::string message) {
    boost::asio::post(loop_, [this, alive, node, generation, message] {
      if (alive.lock() && events_) events_->onLaunchFailed(node, generation, message);
    });
  };
  auto raw = offers_.find(offer.id);
  if (raw == offers_.end()) {
    for (const auto& request : launches) {
      failLater(request.node.name, request.generation,
                "the offer of " + offer.hostname + " was rescinded before the launch");
    }
    return;
  }
  v1::Offer rawOffer = raw->second;
  offers_.erase(raw);
  OfferResources resources(rawOffer);
  std::vector<v1::TaskInfo> tasks;
  std::vector<std::pair<std::string, core::Instance>> launched;
  for (const auto& request : launches) {
    const core::NodeSpec& node = request.node;
    NodeLaunchSpec spec;
    spec.cluster = options_.cluster;
    spec.node = node.name;
    spec.role = core::roleName(node.role);
    spec.generation = static_cast<std::uint64_t>(request.generation);
    spec.containerizer = options_.containerizer;
    spec.image = node.image;
    spec.network = options_.network;
    spec.hostname = node.hostname;
    spec.netAdmin = true;  // MAC rules at the sender (policy::renderSenderMacRules)
    if (node.ready_probe && !node.ready_probe->open_path.empty()) {
      spec.health = NodeLaunchSpec::HttpHealth{static_cast<std::uint32_t>(node.ready_probe->port),
                                               node.ready_probe->open_path};
    }
    spec.argv = node.command;
    if (!node.files.empty()) {
      // Agents are other machines: files reach nodes through the API instead
      // (NodeFiles::fetch_url), so a host path here is a daemon bug.
      spdlog::warn("mesos: node {} names host files, which agents do not have; ignoring them",
                   node.name);
    }
    for (const auto& [key, value] : node.env) spec.environment.emplace_back(key, value);
    spec.extraLabels = {{core::kLabelSpecHash, node.spec_hash},
                        {core::kLabelGeneration, std::to_string(request.generation)}};
    spec.cpus = node.cpus;
    spec.memMb = static_cast<double>(node.mem_mb);
    // Mesos containerizer: the CNI port mapper serves NetworkInfo.port_mappings.
    // Docker: Calico ignores -p; the gateway task takes the host port instead.
    if (options_.containerizer == Containerizer::kMesos) {
      for (const auto& port : node.ports) {
        spec.ports.push_back({static_cast<std::uint32_t>(port.host),
                              static_cast<std::uint32_t>(port.container), "tcp"});
      }
    }
    auto task = buildNodeTask(spec, resources);
    if (!task) {
      spdlog::error("mesos: {}", task.message());
      failLater(node.name, request.generation, task.message());
      continue;
    }
    TaskRecord record;
    record.agentId = rawOffer.agent_id().value();
    record.host = rawOffer.hostname();
    record.node = node.name;
    record.specHash = node.spec_hash;
    record.generation = request.generation;
    record.phase = "launching";
    if (spec.health) {
      record.healthCheck = "GET " + spec.health->path + " on port " + std::to_string(spec.health->port);
    }
    if (!node.ports.empty()) {
      record.hostPort = node.ports.front().host;
      record.containerPort = node.ports.front().container;
    }
    core::Instance instance;
    instance.id = task->task_id().value();
    instance.node = node.name;
    instance.spec_hash = node.spec_hash;
    instance.generation = request.generation;
    instance.phase = core::Phase::Launching;
    instance.host = record.host;
    instance.ports = node.ports;
    instance.message = "task sent to agent " + record.host;
    tasks_[instance.id] = record;
    launched.emplace_back(instance.id, instance);
    tasks.push_back(std::move(*task));
  }
  if (tasks.empty()) {
    connection_->send(calls::decline(
        {rawOffer.id()}, calls::jitteredRefuseSeconds(options_.acceptRefuseSeconds, random01_())));
    return;
  }
  saveStore();
  for (const auto& [id, instance] : launched) instances_[id] = instance;
  connection_->send(
      calls::accept({rawOffer.id()}, tasks,
                    calls::jitteredRefuseSeconds(options_.acceptRefuseSeconds, random01_())),
      [this, alive, launched](Status status) {
        if (status || !alive.lock()) return;
        for (const auto& [id, instance] : launched) {
          tasks_.erase(id);
          instances_.erase(id);
          if (events_)
            events_->onLaunchFailed(instance.node, instance.generation,
                                    "ACCEPT failed: " + status.message());
        }
        saveStore();
      });
  // Reported after the core's offer round: it must not re-enter it.
  boost::asio::post(loop_, [this, alive, launched] {
    if (!alive.lock() || !events_) return;
    for (const auto& [id, instance] : launched) {
      auto current = instances_.find(id);
      if (current != instances_.end() && current->second.phase == core::Phase::Launching)
        events_->onInstance(current->second);
    }
  });
}

void MesosBackend::sendKill(const std::string& taskId) {
  killing_.insert(taskId);
  if (!subscribed()) return;  // re-sent after the next SUBSCRIBED
  auto record = tasks_.find(taskId);
  std::optional<std::string> agent;
  if (record != tasks_.end() && !record->second.agentId.empty()) agent = record->second.agentId;
  connection_->send(calls::kill(taskId, agent));
}

void MesosBackend::kill(const core::Instance& instance) {
  const std::string id = instance.id;
  std::weak_ptr<bool> alive = alive_;
  auto instanceIt = instances_.find(id);
  bool failed = instanceIt != instances_.end() && instanceIt->second.phase == core::Phase::Failed;
  if (!tasks_.count(id) || terminal_.count(id) || failed) {
    // Over already (or unreachable: kill it should it come back).
    if (tasks_.count(id) && !terminal_.count(id)) sendKill(id);
    boost::asio::post(loop_, [this, alive, id] {
      if (alive.lock()) reportGone(id);
    });
    return;
  }
  sendKill(id);
}

// --- task store --------------------------------------------------------------

void MesosBackend::saveStore() {
  if (options_.stateDir.empty()) return;
  nlohmann::json tasks = nlohmann::json::object();
  for (const auto& [id, r] : tasks_) {
    tasks[id] = {{"agent_id", r.agentId}, {"host", r.host},
                 {"node", r.node},        {"spec_hash", r.specHash},
                 {"generation", r.generation}, {"ip", r.ip},
                 {"phase", r.phase},      {"gateway", r.gateway},
                 {"target", r.target},    {"host_port", r.hostPort},
                 {"container_port", r.containerPort}, {"executor_id", r.executorId},
                 {"health_check", r.healthCheck}, {"healthy", r.healthy}};
  }
  nlohmann::json doc{{"version", 1}, {"tasks", tasks}};
  if (auto made = os::makeDirectories(options_.stateDir, 0700); !made) {
    spdlog::error("mesos: task store: {}", made.message());
    return;
  }
  if (auto saved = os::writeFileAtomically(options_.stateDir + "/mesos-tasks.json",
                                           doc.dump(2) + "\n", 0600);
      !saved) {
    spdlog::error("mesos: cannot save the task store: {}", saved.message());
  }
}

void MesosBackend::loadStore() {
  const std::string path = options_.stateDir + "/mesos-tasks.json";
  if (options_.stateDir.empty() || !std::filesystem::exists(path)) return;
  auto text = os::readFile(path);
  if (!text) {
    spdlog::error("mesos: cannot read {}: {}", path, text.message());
    return;
  }
  auto doc = nlohmann::json::parse(*text, nullptr, false);
  if (!doc.is_object() || !doc.contains("tasks") || !doc["tasks"].is_object()) {
    spdlog::error("mesos: {} is not a task store; reconciliation will rebuild it", path);
    return;
  }
  for (const auto& [id, t] : doc["tasks"].items()) {
    TaskRecord r;
    r.agentId = t.value("agent_id", "");
    r.host = t.value("host", "");
    r.node = t.value("node", "");
    r.specHash = t.value("spec_hash", "");
    r.generation = t.value("generation", 0);
    r.ip = t.value("ip", "");
    r.phase = t.value("phase", "");
    r.gateway = t.value("gateway", false);
    r.target = t.value("target", "");
    r.hostPort = t.value("host_port", 0);
    r.containerPort = t.value("container_port", 0);
    r.executorId = t.value("executor_id", "");
    r.healthCheck = t.value("health_check", "");
    r.healthy = t.value("healthy", false);
    tasks_[id] = r;
  }
}

}  // namespace coral::mesos
