#include "core/scheduler.h"

#include <gtest/gtest.h>

#include "core/desired_state.h"

namespace coral::core {
namespace {

// Records what the scheduler asks for; the test plays the backend's part.
class FakeBackend : public Backend {
 public:
  std::string kind() const override { return "fake"; }
  void start(SchedulerEvents&) override { started = true; }
  void launch(const Offer& offer, const std::vector<LaunchRequest>& launches) override {
    for (const auto& l : launches) launched.push_back(l);
  }
  void decline(const Offer& offer) override { declined.push_back(offer.id); }
  void kill(const Instance& instance) override { killed.push_back(instance.id); }
  void setOfferInterest(bool wanted) override { interest = wanted; }
  void stop() override {}

  bool started = false, interest = false;
  std::vector<LaunchRequest> launched;
  std::vector<std::string> declined, killed;
};

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest() : scheduler(backend, [this] { return now; }) {}
  void bringUp() {
    scheduler.setDesired(defaultClusterSpec(), desiredNodes(defaultClusterSpec(), {}));
    scheduler.onOffers({Offer{"o1", "local", "host", 8, 16384, {{8888, 8888}}}});
  }
  Instance report(const LaunchRequest& l, Phase phase) {
    Instance i{"c-" + l.node.name + "-" + std::to_string(l.generation), l.node.name, l.node.spec_hash,
               l.generation, phase, "10.0.0.1", "host", "", {}};
    scheduler.onInstance(i);
    return i;
  }

  FakeBackend backend;
  TimePoint now = TimePoint(std::chrono::seconds(100));
  Scheduler scheduler;
};

TEST_F(SchedulerTest, LaunchesEverythingFromOneOfferAndSuppresses) {
  bringUp();
  ASSERT_EQ(backend.launched.size(), 4u);
  EXPECT_FALSE(backend.interest);
  EXPECT_FALSE(scheduler.converged());
  for (const auto& l : backend.launched) report(l, Phase::Running);
  EXPECT_TRUE(scheduler.converged());
  for (const auto& view : scheduler.nodes()) EXPECT_EQ(view.state, "running");
}

TEST_F(SchedulerTest, AdoptsExistingInstancesWithoutLaunching) {
  auto nodes = desiredNodes(defaultClusterSpec(), {});
  for (const auto& n : nodes) {
    scheduler.onInstance(Instance{"c-" + n.name, n.name, n.spec_hash, 3, Phase::Running, "", "", "", {}});
  }
  scheduler.setDesired(defaultClusterSpec(), nodes);
  EXPECT_TRUE(backend.launched.empty());
  EXPECT_TRUE(scheduler.converged());
}

TEST_F(SchedulerTest, FailedNodeIsCleanedUpThenRelaunchedWithNextGeneration) {
  bringUp();
  std::vector<Instance> running;
  for (const auto& l : backend.launched) running.push_back(report(l, Phase::Running));
  backend.launched.clear();

  Instance failed = running[1];
  failed.phase = Phase::Failed;
  failed.message = "exited with code 1";
  scheduler.onInstance(failed);
  ASSERT_EQ(backend.killed, std::vector<std::string>{failed.id});
  scheduler.onInstanceGone(failed.id);
  // backing off for 1 s after the first failure
  EXPECT_TRUE(backend.launched.empty());
  EXPECT_FALSE(backend.interest);
  ASSERT_TRUE(scheduler.nextWakeup().has_value());
  now += std::chrono::seconds(2);
  scheduler.step();
  EXPECT_TRUE(backend.interest);
  scheduler.onOffers({Offer{"o2", "local", "host", 8, 16384, {}}});
  ASSERT_EQ(backend.launched.size(), 1u);
  EXPECT_EQ(backend.launched[0].node.name, failed.node);
  EXPECT_EQ(backend.launched[0].generation, 2);
}

TEST_F(SchedulerTest, CountsLaunchesAndFailuresByRole) {
  bringUp();
  std::vector<Instance> running;
  for (const auto& l : backend.launched) running.push_back(report(l, Phase::Running));
  EXPECT_EQ(scheduler.counters().launches.at("worker"), 3u);
  EXPECT_EQ(scheduler.counters().launches.at("notebook"), 1u);
  EXPECT_TRUE(scheduler.counters().failures.empty());

  Instance failed = running[1];
  ASSERT_EQ(failed.node.rfind("worker-", 0), 0u);
  failed.phase = Phase::Failed;
  scheduler.onInstance(failed);
  scheduler.onInstance(failed);  // the same failure reported twice counts once
  scheduler.onLaunchFailed("notebook", 2, "image missing");
  EXPECT_EQ(scheduler.counters().failures.at("worker"), 1u);
  EXPECT_EQ(scheduler.counters().failures.at("notebook"), 1u);

  scheduler.onInstanceGone(failed.id);
  now += std::chrono::seconds(2);
  scheduler.step();
  scheduler.onOffers({Offer{"o2", "local", "host", 8, 16384, {{8888, 8888}}}});
  EXPECT_EQ(scheduler.counters().launches.at("worker"), 4u);
}

TEST_F(SchedulerTest, UnusableOfferIsDeclinedAndReasonShown) {
  scheduler.setDesired(defaultClusterSpec(), desiredNodes(defaultClusterSpec(), {}));
  scheduler.onOffers({Offer{"o1", "a", "host", 8, 16384, {}}});
  EXPECT_EQ(backend.launched.size(), 3u);
  auto notebook = scheduler.node("notebook");
  ASSERT_TRUE(notebook);
  EXPECT_EQ(notebook->state, "pending");
  EXPECT_NE(notebook->message.find("8888"), std::string::npos);
  scheduler.onOffers({Offer{"o2", "a", "host", 0.1, 16, {}}});
  EXPECT_EQ(backend.declined, std::vector<std::string>{"o2"});
}

TEST_F(SchedulerTest, ScaleDownKillsOnlyTheRemovedWorker) {
  bringUp();
  for (const auto& l : backend.launched) report(l, Phase::Running);
  auto spec = defaultClusterSpec();
  spec.workers = 2;
  scheduler.setDesired(spec, desiredNodes(spec, {}));
  EXPECT_EQ(backend.killed, std::vector<std::string>{"c-worker-3-1"});
}

TEST_F(SchedulerTest, RestartKillsAndRelaunches) {
  bringUp();
  for (const auto& l : backend.launched) report(l, Phase::Running);
  backend.launched.clear();
  ASSERT_TRUE(scheduler.restart("worker-2"));
  EXPECT_EQ(backend.killed, std::vector<std::string>{"c-worker-2-1"});
  scheduler.onInstanceGone("c-worker-2-1");
  scheduler.onOffers({Offer{"o9", "local", "host", 8, 16384, {}}});
  ASSERT_EQ(backend.launched.size(), 1u);
  EXPECT_EQ(backend.launched[0].generation, 2);
  EXPECT_FALSE(scheduler.restart("nope"));
}

TEST_F(SchedulerTest, EventsAreRecordedInOrder) {
  bringUp();
  for (const auto& l : backend.launched) report(l, Phase::Running);
  auto events = scheduler.eventsAfter(0);
  ASSERT_FALSE(events.empty());
  for (size_t i = 1; i < events.size(); ++i) EXPECT_LT(events[i - 1].sequence, events[i].sequence);
  EXPECT_EQ(events.back().state, "running");
}

}  // namespace
}  // namespace coral::core
