#include "core/scheduler.h"

#include <algorithm>

#include "core/desired_state.h"
#include "core/placement.h"

namespace coral::core {
namespace {

constexpr size_t kEventHistory = 1000;

}  // namespace

Scheduler::Scheduler(Backend& backend, Clock clock, bool spread)
    : backend_(backend), clock_(std::move(clock)), spread_(spread) {}

void Scheduler::start() { backend_.start(*this); }

void Scheduler::setDesired(ClusterSpec spec, std::vector<NodeSpec> nodes) {
  spec_ = std::move(spec);
  desired_ = std::move(nodes);
  has_desired_ = true;
  // A queued launch of an outdated spec is dropped; decide() queues it anew.
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto wanted = std::find_if(desired_.begin(), desired_.end(),
                               [&](const NodeSpec& n) { return n.name == it->first; });
    bool stale = wanted == desired_.end() || wanted->spec_hash != it->second.request.node.spec_hash;
    if (!it->second.placed && stale) {
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  step();
}

void Scheduler::step() {
  // Until the desired cluster is known, every instance would look unwanted.
  if (stepping_ || !has_desired_) return;
  stepping_ = true;

  std::vector<Instance> observed;
  for (const auto& [id, instance] : instances_) observed.push_back(instance);
  std::set<std::string> pending_nodes;
  for (const auto& [node, pending] : pending_) pending_nodes.insert(node);

  Decision decision = decide(DecisionInput{desired_, observed, backoff_, pending_nodes, killing_,
                                           last_generation_, clock_()});
  for (const auto& request : decision.kill) {
    killing_.insert(request.instance.id);
    instances_[request.instance.id].message = "stopping: " + request.reason;
    backend_.kill(request.instance);
  }
  for (auto& request : decision.launch) {
    last_generation_[request.node.name] = request.generation;
    pending_[request.node.name] = Pending{request, false};
  }
  unplaced_ = decision.waiting;
  for (const auto& [node, why] : placement_misfits_) {
    auto pending = pending_.find(node);
    if (pending != pending_.end() && !pending->second.placed) unplaced_[node] = why;
  }

  bool wants_offers = std::any_of(pending_.begin(), pending_.end(),
                                  [](const auto& entry) { return !entry.second.placed; });
  if (wants_offers != offer_interest_) {
    offer_interest_ = wants_offers;
    backend_.setOfferInterest(wants_offers);
  }
  stepping_ = false;
  publishViewChanges();
}

void Scheduler::onOffers(std::vector<Offer> offers) {
  std::vector<LaunchRequest> queued;
  for (const auto& [node, pending] : pending_) {
    if (!pending.placed) queued.push_back(pending.request);
  }
  std::map<std::string, int> nodes_per_host;
  for (const auto& [id, instance] : instances_) {
    if (isLive(instance.phase) && !instance.host.empty()) ++nodes_per_host[instance.host];
  }
  PlacementPlan plan = place(queued, offers, nodes_per_host, spread_);
  for (const auto& offer : offers) {
    auto launches = plan.by_offer.find(offer.id);
    if (launches == plan.by_offer.end()) {
      backend_.decline(offer);
      continue;
    }
    for (const auto& request : launches->second) {
      pending_[request.node.name].placed = true;
      ++counters_.launches[roleName(request.node.role)];
    }
    backend_.launch(offer, launches->second);
  }
  placement_misfits_ = plan.unplaced;
  step();
}

void Scheduler::onOfferRescinded(const std::string& offer_id) {
  // Offers are used or declined as soon as they arrive, so there is nothing to
  // take back; a later offer will do.
  (void)offer_id;
}

void Scheduler::onInstance(const Instance& instance) {
  auto previous = instances_.find(instance.id);
  bool was_failed = previous != instances_.end() && previous->second.phase == Phase::Failed;
  instances_[instance.id] = instance;
  auto& last = last_generation_[instance.node];
  last = std::max(last, instance.generation);

  auto pending = pending_.find(instance.node);
  if (pending != pending_.end() && pending->second.request.generation <= instance.generation) {
    pending_.erase(pending);
  }
  if (instance.phase == Phase::Failed && !was_failed) {
    recordFailure(instance.node);
    last_failure_[instance.node] = instance.message;
  }
  if (instance.phase == Phase::Running) backoff_.erase(instance.node);
  step();
}

void Scheduler::onInstanceGone(const std::string& instance_id) {
  instances_.erase(instance_id);
  killing_.erase(instance_id);
  step();
}

void Scheduler::onLaunchFailed(const std::string& node, int generation,
                               const std::string& message) {
  auto pending = pending_.find(node);
  if (pending != pending_.end() && pending->second.request.generation == generation) {
    pending_.erase(pending);
  }
  recordFailure(node);
  last_failure_[node] = message;
  publish(node, "failed", message);
  step();
}

std::string Scheduler::roleOf(const std::string& node) const {
  for (const auto& spec : desired_) {
    if (spec.name == node) return roleName(spec.role);
  }
  // A node scaled away since: its name still tells its role.
  return node == notebookName() ? roleName(Role::Notebook) : roleName(Role::Worker);
}

void Scheduler::recordFailure(const std::string& node) {
  ++counters_.failures[roleOf(node)];
  Backoff& backoff = backoff_[node];
  ++backoff.failures;
  backoff.not_before = clock_() + backoffDelay(backoff.failures);
}

bool Scheduler::restart(const std::string& node_name) {
  bool found = false;
  for (auto& [id, instance] : instances_) {
    if (instance.node != node_name || killing_.count(id)) continue;
    found = true;
    killing_.insert(id);
    instance.message = "stopping: restart requested";
    instance.phase = Phase::Stopping;
    backend_.kill(instance);
  }
  publishViewChanges();
  return found;
}

std::optional<TimePoint> Scheduler::nextWakeup() const {
  std::optional<TimePoint> earliest;
  for (const auto& [node, backoff] : backoff_) {
    if (pending_.count(node)) continue;
    if (!earliest || backoff.not_before < *earliest) earliest = backoff.not_before;
  }
  return earliest;
}

std::vector<NodeView> Scheduler::nodes() const {
  std::vector<NodeView> views;
  std::set<std::string> desired_names;
  for (const auto& spec : desired_) {
    desired_names.insert(spec.name);
    NodeView view;
    view.name = spec.name;
    view.role = spec.role;
    view.state = "pending";
    if (auto backoff = backoff_.find(spec.name); backoff != backoff_.end()) {
      view.failures = backoff->second.failures;
    }
    const Instance* best = nullptr;
    for (const auto& [id, instance] : instances_) {
      if (instance.node != spec.name) continue;
      if (!best || (isLive(instance.phase) && !isLive(best->phase)) ||
          (isLive(instance.phase) == isLive(best->phase) && instance.generation > best->generation)) {
        best = &instance;
      }
    }
    if (best) {
      view.state = phaseName(best->phase);
      view.ip = best->ip;
      view.host = best->host;
      view.instance_id = best->id;
      view.generation = best->generation;
      view.ports = best->ports;
      view.message = best->message;
    } else if (auto why = unplaced_.find(spec.name); why != unplaced_.end()) {
      view.message = why->second;
    } else if (auto failure = last_failure_.find(spec.name); failure != last_failure_.end()) {
      view.message = failure->second;
    }
    if (auto pending = pending_.find(spec.name); pending != pending_.end() && !best) {
      view.generation = pending->second.request.generation;
      view.state = pending->second.placed ? "launching" : "pending";
    }
    views.push_back(std::move(view));
  }
  for (const auto& [id, instance] : instances_) {
    if (desired_names.count(instance.node)) continue;
    NodeView view;
    view.name = instance.node;
    view.state = "stopping";
    view.ip = instance.ip;
    view.host = instance.host;
    view.instance_id = id;
    view.generation = instance.generation;
    view.message = instance.message;
    views.push_back(std::move(view));
  }
  return views;
}

std::optional<NodeView> Scheduler::node(const std::string& name) const {
  for (auto& view : nodes()) {
    if (view.name == name) return view;
  }
  return std::nullopt;
}

bool Scheduler::converged() const {
  if (!pending_.empty() || !killing_.empty()) return false;
  std::map<std::string, int> running;
  for (const auto& [id, instance] : instances_) {
    auto wanted = std::find_if(desired_.begin(), desired_.end(),
                               [&](const NodeSpec& n) { return n.name == instance.node; });
    if (wanted == desired_.end() || instance.phase != Phase::Running ||
        instance.spec_hash != wanted->spec_hash) {
      return false;
    }
    ++running[instance.node];
  }
  for (const auto& spec : desired_) {
    if (running[spec.name] != 1) return false;
  }
  return true;
}

void Scheduler::setEventListener(std::function<void(const NodeEvent&)> listener) {
  listener_ = std::move(listener);
}

std::vector<NodeEvent> Scheduler::eventsAfter(uint64_t after_sequence) const {
  std::vector<NodeEvent> out;
  for (const auto& event : events_) {
    if (event.sequence > after_sequence) out.push_back(event);
  }
  return out;
}

void Scheduler::publish(const std::string& node, const std::string& state,
                        const std::string& message) {
  NodeEvent event{next_sequence_++, node, state, message};
  last_published_[node] = state + "|" + message;
  events_.push_back(event);
  if (events_.size() > kEventHistory) events_.pop_front();
  if (listener_) listener_(event);
}

void Scheduler::publishViewChanges() {
  std::set<std::string> seen;
  for (const auto& view : nodes()) {
    seen.insert(view.name);
    auto key = view.state + "|" + view.message;
    auto last = last_published_.find(view.name);
    if (last == last_published_.end() || last->second != key) publish(view.name, view.state, view.message);
  }
  for (auto it = last_published_.begin(); it != last_published_.end();) {
    if (seen.count(it->first)) {
      ++it;
      continue;
    }
    std::string node = it->first;
    it = last_published_.erase(it);
    NodeEvent event{next_sequence_++, node, "removed", ""};
    events_.push_back(event);
    if (events_.size() > kEventHistory) events_.pop_front();
    if (listener_) listener_(event);
  }
}

}  // namespace coral::core
