// The small verbs: thin calls to the daemon's API with readable output.
#include "cli/commands.h"

#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/daemon_control.h"
#include "daemon/daemon.h"
#include "mesos/backend_settings.h"

namespace coral::cli {
namespace {

std::optional<api::Client> daemonFor(const CommonOptions& options) {
  return requireDaemon(daemon::StateDir(options.stateDir()));
}

int check(const Result<api::Response>& answer) { return reportApiFailure(answer); }

void printTable(const nlohmann::json& status) {
  std::cout << fmt::format("cluster {}  backend {}  network {} ({} plugin, {})\n",
                           status["cluster"].is_string() ? status["cluster"].get<std::string>() : "-",
                           status.value("backend", ""), status["network"].value("name", ""),
                           status["network"].value("plugin", ""), status["network"].value("subnet", ""));
  std::cout << fmt::format("{:<12} {:<9} {:<10} {:<15} {:<14} {}\n", "NODE", "ROLE", "STATE", "IP",
                           "PORTS", "MESSAGE");
  for (const auto& node : status["nodes"]) {
    std::string ports;
    for (const auto& p : node["ports"]) {
      ports += fmt::format("{}{}->{}", ports.empty() ? "" : ",", p.value("host", 0), p.value("container", 0));
    }
    std::cout << fmt::format("{:<12} {:<9} {:<10} {:<15} {:<14} {}\n", node.value("name", ""),
                             node.value("role", ""), node.value("state", ""), node.value("ip", ""),
                             ports, node.value("message", ""));
  }
  std::cout << fmt::format("notebook {} (token in {})\n", status["notebook"].value("url", ""),
                           status["notebook"].value("token_file", ""));
}

}  // namespace

std::string CommonOptions::stateDir() const {
  return state_dir.empty() ? daemon::defaultStateDir(cluster) : state_dir;
}

int runStatus(const CommonOptions& options, const std::string& output) {
  auto client = daemonFor(options);
  if (!client) return 1;
  auto answer = client->request("GET", "/v1/cluster");
  if (int rc = check(answer)) return rc;
  auto status = nlohmann::json::parse(answer->body);
  if (output == "json") {
    std::cout << status.dump(2) << "\n";
  } else {
    printTable(status);
  }
  return 0;
}

int runDown(const CommonOptions& options, bool keep_state) {
  daemon::StateDir dir(options.stateDir());
  if (!std::filesystem::exists(dir.root())) {
    std::cout << fmt::format("coral: nothing to take down in {}\n", dir.root());
    return 0;
  }
  // A daemon that crashed left its containers behind: a fresh one adopts
  // them, so that down removes them too.
  bool started = false;
  auto client = ensureDaemon(dir, recordedBackend(dir), &started, /*resume=*/false);
  if (!client) {
    std::cerr << "coral: " << client.message() << "\n";
    return 1;
  }
  std::cout << "coral: taking the cluster down…\n";
  auto answer = client->request("POST", "/v1/shutdown", "{}", std::chrono::minutes(5));
  if (int rc = check(answer)) return rc;
  auto body = nlohmann::json::parse(answer->body, nullptr, false);
  int rc = 0;
  if (body.is_object()) {
    for (const auto& problem : body.value("problems", nlohmann::json::array())) {
      std::cerr << "coral: warning: " << problem.get<std::string>() << "\n";
      rc = 1;
    }
  }
  if (auto exited = waitForDaemonExit(dir, std::chrono::seconds(30)); !exited) {
    std::cerr << "coral: " << exited.message() << "\n";
    return 1;
  }
  if (!keep_state) {
    std::error_code ec;
    std::filesystem::remove_all(dir.root(), ec);
  }
  std::cout << fmt::format("coral: cluster removed{}\n",
                           keep_state ? fmt::format(" (state kept in {})", dir.root()) : "");
  return rc;
}

int runScale(const CommonOptions& options, int workers) {
  auto client = daemonFor(options);
  if (!client) return 1;
  if (int rc = check(client->request("POST", "/v1/nodes", nlohmann::json{{"workers", workers}}.dump()))) return rc;
  std::cout << fmt::format("coral: scaling to {} workers (watch with `coral status`)\n", workers);
  return 0;
}

int runRestart(const CommonOptions& options, const std::string& node) {
  auto client = daemonFor(options);
  if (!client) return 1;
  if (int rc = check(client->request("POST", "/v1/nodes/" + node + "/restart"))) return rc;
  std::cout << fmt::format("coral: restarting {}\n", node);
  return 0;
}

int runLogs(const CommonOptions& options, const std::string& node, int tail) {
  auto client = daemonFor(options);
  if (!client) return 1;
  auto answer = client->request("GET", fmt::format("/v1/nodes/{}/logs?tail={}", node, tail));
  if (int rc = check(answer)) return rc;
  // Named: a range-for over parse(...)["lines"] would iterate a destroyed temporary.
  const auto body = nlohmann::json::parse(answer->body);
  for (const auto& line : body.value("lines", nlohmann::json::array())) {
    std::cout << line.get<std::string>() << "\n";
  }
  return 0;
}

int runEvents(const CommonOptions& options) {
  auto client = daemonFor(options);
  if (!client) return 1;
  auto streamed = client->streamEvents("/v1/events", [](const std::string&, const std::string& data) {
    std::cout << data << "\n" << std::flush;
    return true;
  });
  if (!streamed) {
    std::cerr << "coral: " << streamed.message() << "\n";
    return 1;
  }
  return 0;
}

int runDaemon(const std::string& state_dir, const std::string& backend, bool resume) {
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  daemon::DaemonOptions options;
  options.state_dir = state_dir;
  options.backend = backend;
  options.resume = resume;
  // A state dir set up by `up --backend mesos` stays on Mesos, also when
  // `down` restarts a crashed daemon.
  if (std::filesystem::exists(mesos::settingsPath(state_dir))) options.backend = "mesos";
  daemon::Daemon daemon(options);
  return daemon.run();
}

}  // namespace coral::cli
