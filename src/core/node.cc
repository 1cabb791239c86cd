#include "core/node.h"

namespace coral::core {

std::string roleName(Role role) { return role == Role::Notebook ? "notebook" : "worker"; }

std::string phaseName(Phase phase) {
  switch (phase) {
    case Phase::Launching: return "launching";
    case Phase::Attaching: return "attaching";
    case Phase::Starting: return "starting";
    case Phase::Running: return "running";
    case Phase::Failed: return "failed";
    case Phase::Stopping: return "stopping";
  }
  return "unknown";
}

bool isLive(Phase phase) { return phase != Phase::Failed && phase != Phase::Stopping; }

}  // namespace coral::core
