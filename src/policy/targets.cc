#include "policy/targets.h"

#include <fmt/format.h>

namespace coral::policy {
namespace {

std::string nodeList(const std::vector<NodeRef>& nodes) {
  if (nodes.empty()) return "the cluster has no nodes";
  std::string list = "nodes: ";
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i > 0) list += ", ";
    list += nodes[i].name;
  }
  return list;
}

bool hasRole(const std::vector<NodeRef>& nodes, const std::string& role) {
  for (const auto& node : nodes) {
    if (node.role == role) return true;
  }
  return false;
}

}  // namespace

Status validateTargets(const std::vector<Policy>& policies, const std::vector<NodeRef>& nodes) {
  std::vector<std::string> errors;
  auto report = [&](const Policy& policy, SourcePos pos, const std::string& what) {
    errors.push_back(fmt::format("{}:{}:{}: policy \"{}\": {}", policy.file, pos.line, pos.column,
                                 policy.name, what));
  };
  for (const auto& policy : policies) {
    const Targets& targets = policy.targets;
    switch (targets.kind) {
      case Targets::Kind::All:
        break;
      case Targets::Kind::Names:
        for (size_t i = 0; i < targets.names.size(); ++i) {
          bool known = false;
          for (const auto& node : nodes) known = known || node.name == targets.names[i];
          if (!known) {
            SourcePos pos = i < targets.name_pos.size() ? targets.name_pos[i] : targets.pos;
            report(policy, pos,
                   fmt::format("nodes entry \"{}\" is not a node of this cluster (use one of the "
                               "cluster's node names; {})",
                               targets.names[i], nodeList(nodes)));
          }
        }
        break;
      case Targets::Kind::Role:
        if (!hasRole(nodes, targets.role)) {
          report(policy, targets.pos,
                 fmt::format("nodes.role \"{}\" matches no node of this cluster (add a {} node or "
                             "remove the policy)",
                             targets.role, targets.role));
        }
        break;
      case Targets::Kind::HostPort:
        if (!hasRole(nodes, "notebook")) {
          report(policy, targets.pos,
                 "host-port guards the notebook's published port, but the cluster has no notebook "
                 "node (add a notebook node or remove the policy)");
        }
        break;
    }
  }
  if (errors.empty()) return okStatus();
  std::string message;
  for (const auto& line : errors) message += (message.empty() ? "" : "\n") + line;
  return makeError(message);
}

}  // namespace coral::policy
