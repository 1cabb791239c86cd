#include "mesos/call_outcome.h"

#include <gtest/gtest.h>

#include "fixtures.h"
#include "mesos/calls.h"

namespace coral::mesos {
namespace {

using Action = CallOutcome::Action;

// A recorded raw response (status line, headers, body) as the client sees it.
SchedulerResponse recorded(const std::string& file) {
  const std::string raw = testing::readFixture(file);
  SchedulerResponse response;
  response.status = static_cast<unsigned>(std::stoul(raw.substr(raw.find(' ') + 1, 3)));
  response.body = testing::httpBody(raw);
  return response;
}

const Endpoint kMaster{"127.0.0.1", 5050};

CallOutcome interpret(const SchedulerResponse& response, int attempts = 0) {
  return interpretCallAnswer(calls::reconcileAll(), kMaster, response, attempts, 3);
}

TEST(CallOutcome, RecordedAnswersOfARealMaster) {
  CORAL_REQUIRE_FIXTURES();
  auto accepted = interpret(recorded("calls/14-reconcile-no-accept-header.resp"));
  EXPECT_EQ(accepted.action, Action::kDone);
  EXPECT_TRUE(accepted.status.ok());

  auto noStreamId = interpret(recorded("calls/01-reconcile-without-stream-id.resp"));
  EXPECT_EQ(noStreamId.action, Action::kDone);
  ASSERT_FALSE(noStreamId.status.ok());
  EXPECT_NE(noStreamId.status.message().find(
                "All non-subscribe calls should include the 'Mesos-Stream-Id' header"),
            std::string::npos)
      << "the master's own words reach the caller: " << noStreamId.status.message();

  auto unknownFramework = interpret(recorded("calls/11-reconcile-other-framework-id.resp"));
  EXPECT_EQ(unknownFramework.action, Action::kResubscribe);

  auto disconnected =
      interpret(recorded("calls/43-reconcile-while-disconnected-last-stream-id.resp"));
  EXPECT_EQ(disconnected.action, Action::kResubscribe);
  EXPECT_FALSE(disconnected.status.ok());

  auto afterTeardown = interpret(recorded("calls/48-reconcile-after-teardown.resp"));
  EXPECT_EQ(afterTeardown.action, Action::kResubscribe);

  auto methodNotAllowed = interpret(recorded("calls/10-get-api-v1-scheduler.resp"));
  EXPECT_EQ(methodNotAllowed.action, Action::kDone);
  EXPECT_NE(methodNotAllowed.status.message().find("405"), std::string::npos);
}

TEST(CallOutcome, RedirectUnavailableUnauthorized) {
  SchedulerResponse redirect;
  redirect.status = 307;
  redirect.location = "//10.0.0.2:5050/api/v1/scheduler";
  auto moved = interpret(redirect);
  EXPECT_EQ(moved.action, Action::kResubscribe);
  ASSERT_TRUE(moved.leader.has_value());
  EXPECT_EQ(*moved.leader, (Endpoint{"10.0.0.2", 5050}));

  SchedulerResponse unavailable;
  unavailable.status = 503;
  unavailable.body = "Master has not finished recovery";
  EXPECT_EQ(interpret(unavailable, 0).action, Action::kRetry);
  auto givenUp = interpret(unavailable, 3);
  EXPECT_EQ(givenUp.action, Action::kDone);
  EXPECT_NE(givenUp.status.message().find("recovery"), std::string::npos);

  SchedulerResponse unauthorized;
  unauthorized.status = 401;
  EXPECT_EQ(interpret(unauthorized).action, Action::kStop);

  SchedulerResponse forbidden;
  forbidden.status = 403;
  forbidden.body = "Not authorized to update framework";
  EXPECT_EQ(interpret(forbidden).action, Action::kDone)
      << "an authorization failure of one call is not fatal";

  auto network = interpretCallAnswer(calls::reconcileAll(), kMaster,
                                     Result<SchedulerResponse>(makeError("refused")), 0, 3);
  EXPECT_EQ(network.action, Action::kDone);
  EXPECT_FALSE(network.status.ok());
}

}  // namespace
}  // namespace coral::mesos
