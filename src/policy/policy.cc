#include "policy/policy.h"

namespace coral::policy {

bool appliesTo(const Policy& policy, const std::string& node_name, const std::string& node_role) {
  switch (policy.targets.kind) {
    case Targets::Kind::All:
      return true;
    case Targets::Kind::Names:
      for (const auto& name : policy.targets.names) {
        if (name == node_name) return true;
      }
      return false;
    case Targets::Kind::Role:
      return policy.targets.role == node_role;
    case Targets::Kind::HostPort:
      return false;
  }
  return false;
}

}  // namespace coral::policy
