// `coral up`: submit the spec to the state dir's daemon (starting it when
// needed), show each node's progress, and hand over the notebook URL. A
// failed first `up` takes down everything it created.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/daemon_control.h"
#include "core/cluster_spec.h"
#include "mesos/backend_settings.h"
#include "os/atomic_file.h"
#include "spec/spec_parser.h"

namespace coral::cli {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);
// A node that failed this many launches in a row fails `up`.
constexpr int kMaxFailures = 3;
// A node that waits for resources while nothing else changes for this long
// will not get them: `up` reports why instead of waiting for the timeout.
constexpr auto kStuckPending = std::chrono::seconds(15);

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

void rollBack(api::Client& client, const daemon::StateDir& dir) {
  std::cerr << "coral: rolling back: removing what this `up` created…\n";
  auto down = client.request("POST", "/v1/shutdown", "{}", std::chrono::minutes(3));
  if (!down || down->status != 200) {
    std::cerr << "coral: rollback incomplete: "
              << (down ? api::errorMessage(*down) : down.message())
              << "\n  run `coral down --state-dir " << dir.root() << "`\n";
    return;
  }
  (void)waitForDaemonExit(dir, std::chrono::seconds(30));
  std::error_code ec;
  std::filesystem::remove_all(dir.root(), ec);
  std::cerr << "coral: rolled back; nothing of the cluster is left\n";
}

// Prints the daemon's log as it grows, from its current end, until the
// daemon goes away.
void followLog(const daemon::StateDir& dir) {
  std::ifstream log(dir.log());
  log.seekg(0, std::ios::end);
  std::string line;
  while (connectDaemon(dir)) {
    while (std::getline(log, line)) std::cout << "  " << line << "\n";
    std::cout << std::flush;
    log.clear();  // past EOF: wait for more
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

bool notebookReady(const nlohmann::json& status) {
  if (!status.value("converged", false)) return false;
  for (const auto& node : status["nodes"]) {
    if (node.value("state", "") != "running") return false;
  }
  return true;
}

}  // namespace

int runUp(const UpOptions& options) {
  // Read and check the spec here, so that a typo is reported before anything starts.
  std::string yaml_text;
  std::string file_name = "<built-in default>";
  if (!options.spec_file.empty()) {
    auto text = os::readFile(options.spec_file);
    if (!text) {
      std::cerr << "coral: cannot read the cluster spec: " << text.message() << "\n";
      return 2;
    }
    yaml_text = *text;
    file_name = options.spec_file;
  }
  auto spec = spec::parseSpec(yaml_text, file_name);
  if (!spec) {
    std::cerr << "coral: " << spec.message() << "\n";
    return 2;
  }
  if (options.backend != "local" && options.backend != "mesos") {
    std::cerr << "coral: unknown backend \"" << options.backend << "\"; use local or mesos\n";
    return 2;
  }
  CommonOptions common = options.common;
  common.cluster = spec->name;
  daemon::StateDir dir(common.stateDir());
  // A state dir set up by `up --backend mesos` stays on Mesos (so does its daemon).
  std::string backend = options.backend;
  if (std::filesystem::exists(mesos::settingsPath(dir.root()))) backend = "mesos";
  if (backend == "mesos") {
    // The daemon reads these from the state dir (also after a restart).
    mesos::BackendSettings settings;
    if (options.master.empty()) {
      auto saved = mesos::loadSettings(dir.root());
      if (!saved) {
        std::cerr << "coral: --backend mesos needs --master (e.g. http://master:5050)\n";
        return 2;
      }
      settings = *saved;
    } else {
      settings.master = options.master;
      settings.containerizer = options.containerizer;
      settings.contentType = options.content_type;
      settings.role = options.role;
      if (!options.principal.empty()) settings.principal = options.principal;
      settings.secretFile = options.secret_file;
      settings.failoverTimeoutSeconds = options.failover_timeout;
      settings.apiAddress = options.api_address;
      settings.spread = !options.no_spread;
      settings.calicoEtcd = options.calico_etcd;
    }
    if (auto valid = settings.validate(); !valid) {
      std::cerr << "coral: " << valid.message() << "\n";
      return 2;
    }
    if (auto saved = mesos::saveSettings(dir.root(), settings); !saved) {
      std::cerr << "coral: " << saved.message() << "\n";
      return 1;
    }
  }

  bool had_cluster = std::filesystem::exists(dir.spec());
  bool started = false;
  auto client = ensureDaemon(dir, backend, &started);
  if (!client) {
    std::cerr << "coral: " << client.message() << "\n";
    return 1;
  }
  std::cout << fmt::format("coral: cluster {} ({} workers + notebook) on backend {}, state in {}\n",
                           spec->name, spec->workers, backend, dir.root());

  nlohmann::json submit{{"yaml", yaml_text}, {"file", file_name}};
  auto submitted = client->request("PUT", "/v1/spec", submit.dump(), std::chrono::minutes(2));
  if (!submitted || submitted->status != 202) {
    std::cerr << "coral: " << (submitted ? api::errorMessage(*submitted) : submitted.message()) << "\n";
    if (!had_cluster) rollBack(*client, dir);
    return 1;
  }

  std::map<std::string, std::string> shown;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_seconds);
  nlohmann::json status;
  std::string failure;
  auto last_change = std::chrono::steady_clock::now();
  while (true) {
    auto answer = client->request("GET", "/v1/cluster");
    if (!answer || answer->status != 200) {
      failure = answer ? api::errorMessage(*answer) : answer.message();
      break;
    }
    status = nlohmann::json::parse(answer->body);
    for (const auto& node : status["nodes"]) {
      std::string name = node.value("name", "");
      std::string line = fmt::format("{:<10} {:<10} {}", node.value("state", ""),
                                     node.value("ip", ""), node.value("message", ""));
      if (shown[name] != line) {
        std::cout << fmt::format("  {:<12} {}\n", name, trimmed(line)) << std::flush;
        shown[name] = line;
        last_change = std::chrono::steady_clock::now();
      }
      if (node.value("state", "") == "pending" && !node.value("message", "").empty() &&
          std::chrono::steady_clock::now() - last_change > kStuckPending) {
        failure = fmt::format("node {} cannot be placed: {}; lower `resources` in the spec or "
                              "free resources on this machine",
                              name, node.value("message", ""));
      }
      if (node.value("failures", 0) >= kMaxFailures) {
        failure = fmt::format("node {} failed {} times: {}", name, node.value("failures", 0),
                              node.value("message", ""));
      }
    }
    if (!failure.empty() || notebookReady(status)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      failure = fmt::format("the cluster was not ready within {} s (see `coral status` and {})",
                            options.timeout_seconds, dir.log());
      break;
    }
    std::this_thread::sleep_for(kPoll);
  }
  if (!failure.empty()) {
    std::cerr << "coral: up failed: " << failure << "\n";
    if (!had_cluster) rollBack(*client, dir);
    return 1;
  }

  auto token = os::readFile(dir.notebookToken());
  std::cout << fmt::format("coral: network {} via the {} plugin, subnet {}\n",
                           status["network"].value("name", ""), status["network"].value("plugin", ""),
                           status["network"].value("subnet", ""));
  std::cout << fmt::format("coral: notebook ready: {}?token={}\n",
                           status["notebook"].value("url", ""), token ? trimmed(*token) : "");
  std::cout << fmt::format("coral: the token is stored in {}\n", dir.notebookToken());

  if (options.attach) {
    std::cout << "coral: attached; following the daemon's log (Ctrl-C detaches, the cluster keeps "
                 "running)\n"
              << std::flush;
    followLog(dir);
  }
  return 0;
}

}  // namespace coral::cli
