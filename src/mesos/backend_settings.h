// The `coral up --backend mesos` flags, persisted in the state dir
// (`mesos.json`, written atomically) so that the daemon `up` starts, and any
// later restart of it, uses the same master, containerizer and identity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "mesos/mesos_backend.h"

namespace coral::mesos {

struct BackendSettings {
  std::string master;                   // --master (required)
  std::string containerizer = "docker";  // --containerizer docker|mesos
  std::string contentType = "protobuf";  // --content-type protobuf|json
  std::string role = "coral";            // --role
  std::string user = "root";             // tasks' Unix user
  std::optional<std::string> principal;  // --principal
  std::string secretFile;                // --secret-file
  double failoverTimeoutSeconds = 604800;  // --failover-timeout
  // --api-address IPV4[:PORT]: where tasks on the agents reach Coral's
  // management API (the notebook's CORAL_API, every node's files). Empty:
  // this machine's address (the interface with the default route), port 7480.
  std::string apiAddress;
  // --no-spread: pack nodes onto agents instead of one node per agent while
  // other agents have room.
  bool spread = true;
  // --calico-etcd URL: Calico's etcd v3 datastore; the cluster's firewall
  // policies are written there as Calico NetworkPolicies on every change.
  std::string calicoEtcd;

  // Checks every value the way `up` must before starting anything.
  Status validate() const;
};

struct ApiAddress {
  std::string ip;
  uint16_t port = 0;
};
inline constexpr uint16_t kDefaultApiPort = 7480;
// "10.0.0.2" or "10.0.0.2:7480"; `fallbackIp` stands in for an empty value.
Result<ApiAddress> parseApiAddress(const std::string& text, const std::string& fallbackIp);

std::string settingsPath(const std::string& stateDir);  // <stateDir>/mesos.json
Status saveSettings(const std::string& stateDir, const BackendSettings& settings);
// Error when missing or malformed.
Result<BackendSettings> loadSettings(const std::string& stateDir);

// Backend options from the settings; cluster, network, stateDir and the
// rest are the caller's.
Result<MesosBackendOptions> backendOptions(const BackendSettings& settings);

}  // namespace coral::mesos
