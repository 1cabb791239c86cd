// The narrow edge between the scheduler core and whatever runs containers:
// the local Docker engine or a Mesos master. The core never learns which.
#pragma once

#include <string>
#include <vector>

#include "core/decide.h"
#include "core/node.h"

namespace coral::core {

// Implemented by the scheduler. A backend must call these on the scheduler's
// executor (the daemon's event loop), never from its own worker threads.
class SchedulerEvents {
 public:
  virtual ~SchedulerEvents() = default;
  virtual void onOffers(std::vector<Offer> offers) = 0;
  virtual void onOfferRescinded(const std::string& offer_id) = 0;
  // A new instance, or news about a known one (by Instance::id).
  virtual void onInstance(const Instance& instance) = 0;
  // The instance and everything it held (container, network attachment) is gone.
  virtual void onInstanceGone(const std::string& instance_id) = 0;
  // A launch that never produced an instance.
  virtual void onLaunchFailed(const std::string& node, int generation,
                              const std::string& message) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string kind() const = 0;  // "local" | "mesos"
  // Begins observing. Instances that already exist (a restarted daemon) are
  // reported through onInstance so that the core adopts them.
  virtual void start(SchedulerEvents& events) = 0;
  // Uses part of `offer` for `launches`; the rest of the offer is released.
  virtual void launch(const Offer& offer, const std::vector<LaunchRequest>& launches) = 0;
  virtual void decline(const Offer& offer) = 0;
  virtual void kill(const Instance& instance) = 0;
  // Whether the core has launches waiting for resources (REVIVE vs SUPPRESS).
  virtual void setOfferInterest(bool wanted) = 0;
  virtual void stop() = 0;
};

}  // namespace coral::core
