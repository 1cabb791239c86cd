// The scheduler core: holds the desired cluster and what the backend
// reported, runs `decide` and `place` after every change, and turns their
// output into backend calls. Single-threaded by contract: every method runs on
// the daemon's event loop, so it needs no locks.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/cluster_spec.h"
#include "core/decide.h"

namespace coral::core {

// What `coral status` and the API show about one node.
struct NodeView {
  std::string name;
  Role role = Role::Worker;
  std::string state;  // pending | launching | attaching | starting | running | failed | stopping
  std::string ip;
  std::string host;
  std::string instance_id;
  std::string message;
  int generation = 0;
  int failures = 0;  // consecutive failed launches; reset once it runs
  std::vector<PortMapping> ports;
};

// Monotonic totals since the daemon started, for /metrics.
struct SchedulerCounters {
  std::map<std::string, uint64_t> launches;  // role → launches handed to the backend
  std::map<std::string, uint64_t> failures;  // role → launches that failed or instances that died
};

struct NodeEvent {
  uint64_t sequence = 0;
  std::string node;
  std::string state;
  std::string message;
};

class Scheduler : public SchedulerEvents {
 public:
  using Clock = std::function<TimePoint()>;

  Scheduler(Backend& backend, Clock clock, bool spread = true);

  void start();
  // Replaces the desired cluster; converges towards it from now on.
  void setDesired(ClusterSpec spec, std::vector<NodeSpec> nodes);
  const ClusterSpec& spec() const { return spec_; }
  const std::vector<NodeSpec>& desired() const { return desired_; }

  std::vector<NodeView> nodes() const;
  std::optional<NodeView> node(const std::string& name) const;
  // Every desired node runs exactly one up-to-date instance and nothing else exists.
  bool converged() const;
  // Nothing exists and nothing is under way: no instance, launch or kill.
  bool idle() const { return instances_.empty() && pending_.empty() && killing_.empty(); }
  // Nodes that cannot be placed and why (e.g. no machine offers port 8888).
  const std::map<std::string, std::string>& unplaced() const { return unplaced_; }
  // Kills the node's current instance; the core then launches a new one.
  bool restart(const std::string& node_name);
  // When a backoff ends, the daemon must call step() again.
  std::optional<TimePoint> nextWakeup() const;
  // Recent node events, oldest first, after `after_sequence`.
  std::vector<NodeEvent> eventsAfter(uint64_t after_sequence) const;
  void setEventListener(std::function<void(const NodeEvent&)> listener);
  const SchedulerCounters& counters() const { return counters_; }

  void step();

  // SchedulerEvents
  void onOffers(std::vector<Offer> offers) override;
  void onOfferRescinded(const std::string& offer_id) override;
  void onInstance(const Instance& instance) override;
  void onInstanceGone(const std::string& instance_id) override;
  void onLaunchFailed(const std::string& node, int generation,
                      const std::string& message) override;

 private:
  struct Pending {
    LaunchRequest request;
    bool placed = false;  // handed to the backend, waiting for its instance
  };

  void recordFailure(const std::string& node);
  std::string roleOf(const std::string& node) const;
  void publish(const std::string& node, const std::string& state, const std::string& message);
  void publishViewChanges();

  Backend& backend_;
  Clock clock_;
  bool spread_;
  ClusterSpec spec_;
  std::vector<NodeSpec> desired_;
  std::map<std::string, Instance> instances_;  // by instance id
  std::map<std::string, Pending> pending_;     // by node name
  std::set<std::string> killing_;
  std::map<std::string, Backoff> backoff_;
  std::map<std::string, int> last_generation_;
  std::map<std::string, std::string> unplaced_;
  std::map<std::string, std::string> placement_misfits_;  // from the last offers
  bool has_desired_ = false;
  std::map<std::string, std::string> last_failure_;  // node → message
  bool offer_interest_ = false;
  std::map<std::string, std::string> last_published_;  // node → "state|message"
  std::deque<NodeEvent> events_;
  uint64_t next_sequence_ = 1;
  std::function<void(const NodeEvent&)> listener_;
  bool stepping_ = false;
  SchedulerCounters counters_;
};

}  // namespace coral::core
