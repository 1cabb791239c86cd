#include "mesos/calls.h"

#include <gtest/gtest.h>

namespace coral::mesos {
namespace {

TEST(Calls, SubscribeCarriesTheIdTwiceOrNotAtAll) {
  v1::FrameworkInfo info;
  info.set_user("u");
  info.set_name("n");
  auto first = calls::subscribe(info);
  EXPECT_EQ(first.type(), v1::scheduler::Call::SUBSCRIBE);
  EXPECT_FALSE(first.has_framework_id());
  info.mutable_id()->set_value("F1");
  auto again = calls::subscribe(info, {"r"});
  EXPECT_EQ(again.framework_id().value(), "F1");
  EXPECT_EQ(again.subscribe().framework_info().id().value(), "F1");
  EXPECT_EQ(again.subscribe().suppressed_roles(0), "r");
}

TEST(Calls, AcceptDeclineAndJitter) {
  v1::OfferID offer;
  offer.set_value("O1");
  v1::TaskInfo task;
  task.set_name("t");
  task.mutable_task_id()->set_value("t.1");
  task.mutable_agent_id()->set_value("S1");
  auto accept = calls::accept({offer}, {task}, 5);
  ASSERT_EQ(accept.accept().operations_size(), 1);
  EXPECT_EQ(accept.accept().operations(0).type(), v1::Offer::Operation::LAUNCH);
  EXPECT_DOUBLE_EQ(accept.accept().filters().refuse_seconds(), 5);
  auto decline = calls::decline({offer}, 1e12);
  EXPECT_DOUBLE_EQ(decline.decline().filters().refuse_seconds(), calls::kMaxRefuseSeconds);
  EXPECT_DOUBLE_EQ(calls::jitteredRefuseSeconds(3600, 0.0), 2880);
  EXPECT_DOUBLE_EQ(calls::jitteredRefuseSeconds(3600, 1.0), 4320);
}

TEST(Calls, SuppressReviveReconcileKillTeardown) {
  EXPECT_EQ(calls::suppress({"a", "b"}).suppress().roles_size(), 2);
  EXPECT_EQ(calls::revive({}).revive().roles_size(), 0);
  EXPECT_TRUE(calls::revive({}).has_revive());
  auto implicit = calls::reconcileAll();
  EXPECT_TRUE(implicit.has_reconcile()) << "the master answers 400 without the reconcile object";
  EXPECT_EQ(implicit.reconcile().tasks_size(), 0);
  auto explicitCall = calls::reconcile({{"t.1", "S1"}, {"t.2", std::nullopt}});
  ASSERT_EQ(explicitCall.reconcile().tasks_size(), 2);
  EXPECT_EQ(explicitCall.reconcile().tasks(0).agent_id().value(), "S1");
  EXPECT_FALSE(explicitCall.reconcile().tasks(1).has_agent_id());
  EXPECT_EQ(calls::kill("t.1", "S1").kill().agent_id().value(), "S1");
  EXPECT_EQ(calls::teardown().type(), v1::scheduler::Call::TEARDOWN);
}

TEST(Calls, AcknowledgeOnlyWithUuid) {
  v1::TaskStatus status;
  status.mutable_task_id()->set_value("t.1");
  status.mutable_agent_id()->set_value("S1");
  status.set_state(v1::TASK_RUNNING);
  EXPECT_FALSE(calls::acknowledge(status).has_value());
  status.set_uuid("0123456789abcdef");
  auto ack = calls::acknowledge(status);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->acknowledge().uuid(), "0123456789abcdef");
  EXPECT_EQ(ack->acknowledge().task_id().value(), "t.1");
  EXPECT_EQ(ack->acknowledge().agent_id().value(), "S1");
}

}  // namespace
}  // namespace coral::mesos
