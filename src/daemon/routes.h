// The management API's endpoints: thin mappings from HTTP to the daemon's
// scheduler. Handlers run on the daemon's event loop; anything that blocks
// (Docker logs) runs elsewhere and answers through its Responder.
#pragma once

#include "api/router.h"

namespace coral::daemon {

class Daemon;

// The firewall policy endpoints (policy_routes.cc).
void installPolicyRoutes(Daemon& daemon, api::Router& router);

// The cluster's files for nodes that cannot mount them (node_file_routes.cc):
// every node reads share/ with the node token; the notebook's own files need
// the API token.
inline constexpr const char* kSharedNodeFilesRoute = "/v1/node-files/share/{file}";
void installNodeFileRoutes(Daemon& daemon, api::Router& router);

class Routes {
 public:
  static void install(Daemon& daemon, api::Router& router);
};

}  // namespace coral::daemon
