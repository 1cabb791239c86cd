#include "core/decide.h"

#include <algorithm>

namespace coral::core {

std::chrono::milliseconds backoffDelay(int failures) {
  if (failures <= 0) return std::chrono::milliseconds(0);
  const int shift = std::min(failures - 1, 6);
  return std::min(std::chrono::milliseconds(1000LL << shift), std::chrono::milliseconds(60000));
}

Decision decide(const DecisionInput& in) {
  Decision decision;
  std::map<std::string, const NodeSpec*> desired_by_name;
  for (const auto& node : in.desired) desired_by_name[node.name] = &node;

  std::map<std::string, std::vector<const Instance*>> instances_by_node;
  for (const auto& instance : in.observed) instances_by_node[instance.node].push_back(&instance);

  auto kill = [&](const Instance& instance, std::string reason) {
    if (in.killing.count(instance.id)) return;
    decision.kill.push_back({instance, std::move(reason)});
  };

  for (const auto& [node_name, instances] : instances_by_node) {
    auto wanted = desired_by_name.find(node_name);
    if (wanted == desired_by_name.end()) {
      for (const Instance* instance : instances) kill(*instance, "node is no longer in the spec");
      continue;
    }
    const NodeSpec& spec = *wanted->second;
    const Instance* keep = nullptr;
    for (const Instance* instance : instances) {
      if (!isLive(instance->phase)) {
        if (instance->phase == Phase::Failed) kill(*instance, "failed: " + instance->message);
        continue;
      }
      if (instance->spec_hash != spec.spec_hash) {
        kill(*instance, "spec changed");
        continue;
      }
      if (!keep || instance->generation > keep->generation) keep = instance;
    }
    for (const Instance* instance : instances) {
      if (keep && instance != keep && isLive(instance->phase) &&
          instance->spec_hash == spec.spec_hash) {
        kill(*instance, "twin of " + keep->id);
      }
    }
  }

  for (const auto& node : in.desired) {
    if (instances_by_node.count(node.name)) continue;  // launched, or still being removed
    if (in.pending.count(node.name)) continue;
    auto backoff = in.backoff.find(node.name);
    if (backoff != in.backoff.end() && in.now < backoff->second.not_before) {
      decision.waiting[node.name] =
          "backing off after " + std::to_string(backoff->second.failures) + " failure(s)";
      continue;
    }
    auto last = in.last_generation.find(node.name);
    int generation = last == in.last_generation.end() ? 1 : last->second + 1;
    decision.launch.push_back({node, generation});
  }
  return decision;
}

}  // namespace coral::core
