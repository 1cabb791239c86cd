// The `coral up --backend mesos` flags, persisted in the state dir
// (`mesos.json`, written atomically) so that the daemon `up` starts, and any
// later restart of it, uses the same master, containerizer and identity.
#pragma once

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

  // Checks every value the way `up` must before starting anything.
  Status validate() const;
};

std::string settingsPath(const std::string& stateDir);  // <stateDir>/mesos.json
Status saveSettings(const std::string& stateDir, const BackendSettings& settings);
// Error when missing or malformed.
Result<BackendSettings> loadSettings(const std::string& stateDir);

// Backend options from the settings; cluster, network, stateDir and the
// rest are the caller's.
Result<MesosBackendOptions> backendOptions(const BackendSettings& settings);

}  // namespace coral::mesos
