#include "cluster_harness.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "docker/docker_client.h"

namespace coral::testing {

os::ProcessOutput coral(const std::vector<std::string>& args, int timeout_seconds) {
  std::vector<std::string> argv{CORAL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  os::ProcessOptions options;
  options.timeout = std::chrono::seconds(timeout_seconds);
  auto result = os::runProcess(argv, options);
  if (!result) return os::ProcessOutput{-1, "", result.message()};
  return *result;
}

Result<nlohmann::json> clusterStatus(const std::string& state_dir) {
  auto out = coral({"status", "--state-dir", state_dir, "-o", "json"}, 30);
  if (out.exit_code != 0) return makeError("coral status failed: " + out.err);
  auto parsed = nlohmann::json::parse(out.out, nullptr, false);
  if (parsed.is_discarded()) return makeError("coral status printed no JSON: " + out.out);
  return parsed;
}

HostFootprint footprint(const std::string& cluster, const std::string& subnet_prefix) {
  HostFootprint print;
  docker::DockerClient docker;
  if (auto listed = docker.listContainers({{"coral.cluster", cluster}}, true)) {
    for (const auto& c : *listed) print.containers.insert(c.id);
  }
  if (auto links = os::runChecked({"ip", "-j", "link", "show"})) {
    for (const auto& link : nlohmann::json::parse(*links)) print.links.insert(link.value("ifname", ""));
  }
  if (auto routes = os::runChecked({"ip", "-j", "route", "show", "table", "all"})) {
    for (const auto& route : nlohmann::json::parse(*routes)) {
      std::string dst = route.value("dst", "");
      if (dst.rfind(subnet_prefix, 0) == 0) print.subnet_routes.push_back(route.value("type", "") + " " + dst);
    }
  }
  if (auto saved = os::runChecked({"iptables-save"})) {
    std::istringstream lines(*saved);
    std::string line, table;
    while (std::getline(lines, line)) {
      if (line.rfind("*", 0) == 0) table = line.substr(1);
      if (line.rfind(":", 0) == 0) print.iptables_chains.insert(table + line.substr(0, line.find(' ')));
      if (line.find(subnet_prefix) != std::string::npos) print.iptables_rules_for_subnet.push_back(line);
    }
  }
  return print;
}

std::string makeTempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

Status writeText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) return makeError("cannot write " + path);
  return okStatus();
}

}  // namespace coral::testing
