// Builders for the scheduler calls Coral sends. They leave the top-level
// `framework_id` unset: MasterConnection::send stamps the current one, so a
// call built before a re-subscribe still carries the right ID.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mesos/proto.h"

namespace coral::mesos::calls {

using v1::scheduler::Call;

// The master caps refuse_seconds at 365 days.
inline constexpr double kMaxRefuseSeconds = 31536000;

// SUBSCRIBE for `info`; if it carries an ID, the top-level framework_id is set
// to the same value (the master requires both or neither).
Call subscribe(const v1::FrameworkInfo& info, const std::vector<std::string>& suppressedRoles = {});

// ACCEPT of offers (all from one agent and one role) with one LAUNCH of
// `tasks`; unused resources are declined for `refuseSeconds`.
Call accept(const std::vector<v1::OfferID>& offerIds, const std::vector<v1::TaskInfo>& tasks,
            double refuseSeconds);

// DECLINE with a refuse filter. Use jitteredRefuseSeconds() so many
// declined agents do not come back in the same allocation cycle.
Call decline(const std::vector<v1::OfferID>& offerIds, double refuseSeconds);

// `base` scaled by a factor in [0.8, 1.2] (random01 in [0,1)), capped at
// kMaxRefuseSeconds.
double jitteredRefuseSeconds(double base, double random01);

// Stop / restart offers for `roles` (empty = all roles of the framework).
Call suppress(const std::vector<std::string>& roles);
Call revive(const std::vector<std::string>& roles);

struct TaskToReconcile {
  std::string taskId;
  std::optional<std::string> agentId;  // known agent: sharper answer
};
// Explicit reconciliation of the given tasks.
Call reconcile(const std::vector<TaskToReconcile>& tasks);
// Implicit reconciliation: the master answers for every task it knows.
// (`reconcile` is present but empty; without it the master answers 400.)
Call reconcileAll();

Call kill(const std::string& taskId, const std::optional<std::string>& agentId);

// Removes the framework and kills all its tasks. Only for an explicit `down`.
Call teardown();

// ACKNOWLEDGE of a status update, or nothing when the update carries no
// uuid (master-generated and reconciliation updates must not be ACKed).
std::optional<Call> acknowledge(const v1::TaskStatus& status);

}  // namespace coral::mesos::calls
