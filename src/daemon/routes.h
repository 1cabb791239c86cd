// The management API's endpoints: thin mappings from HTTP to the daemon's
// scheduler. Handlers run on the daemon's event loop; anything that blocks
// (Docker logs) runs elsewhere and answers through its Responder.
#pragma once

#include "api/router.h"

namespace coral::daemon {

class Daemon;

// The firewall policy endpoints (policy_routes.cc).
void installPolicyRoutes(Daemon& daemon, api::Router& router);

class Routes {
 public:
  static void install(Daemon& daemon, api::Router& router);
};

}  // namespace coral::daemon
