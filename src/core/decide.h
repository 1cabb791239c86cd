// The scheduler's pure decision step: from the nodes that should exist and the
// instances that do, which to launch and which to kill. No I/O, no clock of
// its own: everything it depends on is an argument, so it is tested alone.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/node.h"

namespace coral::core {

using TimePoint = std::chrono::steady_clock::time_point;

// Relaunch backoff of one node after failures: 1 s, 2 s, 4 s … capped at 60 s.
struct Backoff {
  int failures = 0;
  TimePoint not_before{};
};
std::chrono::milliseconds backoffDelay(int failures);

struct LaunchRequest {
  NodeSpec node;
  int generation = 1;
};

struct KillRequest {
  Instance instance;
  std::string reason;
};

struct Decision {
  std::vector<LaunchRequest> launch;
  std::vector<KillRequest> kill;
  std::map<std::string, std::string> waiting;  // node → why it is not launched yet
};

struct DecisionInput {
  const std::vector<NodeSpec>& desired;
  const std::vector<Instance>& observed;
  const std::map<std::string, Backoff>& backoff;  // by node name
  const std::set<std::string>& pending;           // nodes whose launch is already under way
  const std::set<std::string>& killing;           // instance ids already being killed
  const std::map<std::string, int>& last_generation;  // by node name
  TimePoint now;
};

// Rules, in order:
//  - an instance of a node that is no longer desired is killed;
//  - a failed instance is killed (cleaned up) before its node is relaunched;
//  - an instance whose spec hash differs from the desired one is replaced:
//    killed first, launched again once it is gone;
//  - of several live instances of one node (twins after a crash), the newest
//    generation is kept, the others killed;
//  - a desired node with no instance at all is launched with the next
//    generation, unless it is pending or backing off after a failure.
Decision decide(const DecisionInput& input);

}  // namespace coral::core
