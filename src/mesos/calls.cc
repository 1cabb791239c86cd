#include "mesos/calls.h"

#include <algorithm>

namespace coral::mesos::calls {

Call subscribe(const v1::FrameworkInfo& info, const std::vector<std::string>& suppressedRoles) {
  Call call;
  call.set_type(Call::SUBSCRIBE);
  auto* subscribe = call.mutable_subscribe();
  *subscribe->mutable_framework_info() = info;
  for (const auto& role : suppressedRoles) subscribe->add_suppressed_roles(role);
  if (info.has_id()) *call.mutable_framework_id() = info.id();
  return call;
}

Call accept(const std::vector<v1::OfferID>& offerIds, const std::vector<v1::TaskInfo>& tasks,
            double refuseSeconds) {
  Call call;
  call.set_type(Call::ACCEPT);
  auto* accept = call.mutable_accept();
  for (const auto& id : offerIds) *accept->add_offer_ids() = id;
  if (!tasks.empty()) {
    auto* operation = accept->add_operations();
    // No Operation.id: on LAUNCH it makes the master fail the tasks.
    operation->set_type(v1::Offer::Operation::LAUNCH);
    for (const auto& task : tasks) *operation->mutable_launch()->add_task_infos() = task;
  }
  accept->mutable_filters()->set_refuse_seconds(std::clamp(refuseSeconds, 0.0, kMaxRefuseSeconds));
  return call;
}

Call decline(const std::vector<v1::OfferID>& offerIds, double refuseSeconds) {
  Call call;
  call.set_type(Call::DECLINE);
  auto* decline = call.mutable_decline();
  for (const auto& id : offerIds) *decline->add_offer_ids() = id;
  decline->mutable_filters()->set_refuse_seconds(std::clamp(refuseSeconds, 0.0, kMaxRefuseSeconds));
  return call;
}

double jitteredRefuseSeconds(double base, double random01) {
  const double factor = 0.8 + 0.4 * std::clamp(random01, 0.0, 1.0);
  return std::clamp(base * factor, 0.0, kMaxRefuseSeconds);
}

Call suppress(const std::vector<std::string>& roles) {
  Call call;
  call.set_type(Call::SUPPRESS);
  auto* suppress = call.mutable_suppress();
  for (const auto& role : roles) suppress->add_roles(role);
  return call;
}

Call revive(const std::vector<std::string>& roles) {
  Call call;
  call.set_type(Call::REVIVE);
  auto* revive = call.mutable_revive();
  for (const auto& role : roles) revive->add_roles(role);
  return call;
}

Call reconcile(const std::vector<TaskToReconcile>& tasks) {
  Call call = reconcileAll();
  for (const auto& task : tasks) {
    auto* entry = call.mutable_reconcile()->add_tasks();
    entry->mutable_task_id()->set_value(task.taskId);
    if (task.agentId) entry->mutable_agent_id()->set_value(*task.agentId);
  }
  return call;
}

Call reconcileAll() {
  Call call;
  call.set_type(Call::RECONCILE);
  call.mutable_reconcile();
  return call;
}

Call kill(const std::string& taskId, const std::optional<std::string>& agentId) {
  Call call;
  call.set_type(Call::KILL);
  call.mutable_kill()->mutable_task_id()->set_value(taskId);
  if (agentId) call.mutable_kill()->mutable_agent_id()->set_value(*agentId);
  return call;
}

Call teardown() {
  Call call;
  call.set_type(Call::TEARDOWN);
  return call;
}

std::optional<Call> acknowledge(const v1::TaskStatus& status) {
  if (!status.has_uuid() || status.uuid().empty() || !status.has_agent_id()) return std::nullopt;
  Call call;
  call.set_type(Call::ACKNOWLEDGE);
  auto* ack = call.mutable_acknowledge();
  *ack->mutable_agent_id() = status.agent_id();
  *ack->mutable_task_id() = status.task_id();
  ack->set_uuid(status.uuid());
  return call;
}

}  // namespace coral::mesos::calls
