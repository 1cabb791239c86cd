// FrameworkInfo as a long-running Coral framework must register: explicit
// user, roles with MULTI_ROLE, checkpointing, a long failover_timeout, and
// the principal/secret for HTTP basic authentication.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "mesos/proto.h"

namespace coral::mesos {

struct FrameworkConfig {
  std::string user;  // Unix user of the tasks (required)
  std::string name = "coral";
  std::vector<std::string> roles;          // at least one; offers come per role
  double failoverTimeoutSeconds = 604800;  // 1 week; 0 would kill tasks on disconnect
  std::optional<std::string> principal;    // must equal the authenticated one
  std::string hostname;
  std::string webuiUrl;
  // Added after MULTI_ROLE, e.g. PARTITION_AWARE or TASK_KILLING_STATE.
  std::vector<v1::FrameworkInfo::Capability::Type> extraCapabilities;
};

// Validates the config the way the master would (and against the classic
// mistakes: no roles, duplicate roles, failover_timeout 0) and builds the
// FrameworkInfo without an ID; the connection adds the stored ID.
Result<v1::FrameworkInfo> buildFrameworkInfo(const FrameworkConfig& config);

// HTTP basic authentication of the framework (`--http_framework_authenticators=basic`).
struct Credentials {
  std::string principal;
  std::string secret;

  // "Basic base64(principal:secret)", sent on every request incl. SUBSCRIBE.
  std::string authorizationHeader() const;
};

// Reads the secret from a file (trailing newline stripped). Rejects secrets
// and principals that can never authenticate with Mesos' basic
// authenticator, which splits "principal:secret" on every ':'.
Result<Credentials> loadCredentials(const std::string& principal, const std::string& secretFile);

std::string base64Encode(std::string_view bytes);

}  // namespace coral::mesos
