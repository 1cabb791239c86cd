// Drives the real `coral` binary and inspects what it left on the machine:
// containers, host routes, veths, iptables rules. Shared by the integration
// tests.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "os/subprocess.h"

namespace coral::testing {

// `build/coral` with arguments; never fails, the exit code is in the output.
os::ProcessOutput coral(const std::vector<std::string>& args, int timeout_seconds = 300);

// `coral status -o json` for a state dir.
Result<nlohmann::json> clusterStatus(const std::string& state_dir);

// What a cluster can leave behind on the host, to compare before and after.
struct HostFootprint {
  std::set<std::string> containers;     // ids labelled with the cluster
  std::set<std::string> links;          // all link names
  std::vector<std::string> subnet_routes;  // routes inside or equal to the subnet
  std::set<std::string> iptables_chains;   // "table:chain"
  std::vector<std::string> iptables_rules_for_subnet;
};
HostFootprint footprint(const std::string& cluster, const std::string& subnet_prefix);

std::string makeTempDir(const std::string& name);
Status writeText(const std::string& path, const std::string& text);

}  // namespace coral::testing
