#include "core/decide.h"

#include <gtest/gtest.h>

#include "core/desired_state.h"

namespace coral::core {
namespace {

class DecideTest : public ::testing::Test {
 protected:
  Decision run() {
    return decide(DecisionInput{desired, observed, backoff, pending, killing, generations, now});
  }
  Instance instance(const std::string& id, const std::string& node, Phase phase, int generation = 1) {
    Instance i;
    i.id = id;
    i.node = node;
    i.phase = phase;
    i.generation = generation;
    for (const auto& n : desired) {
      if (n.name == node) i.spec_hash = n.spec_hash;
    }
    return i;
  }

  std::vector<NodeSpec> desired = desiredNodes(defaultClusterSpec(), {});
  std::vector<Instance> observed;
  std::map<std::string, Backoff> backoff;
  std::set<std::string> pending, killing;
  std::map<std::string, int> generations;
  TimePoint now = TimePoint(std::chrono::seconds(1000));
};

TEST_F(DecideTest, EmptyClusterLaunchesEveryNodeOnce) {
  auto d = run();
  ASSERT_EQ(d.launch.size(), 4u);
  EXPECT_TRUE(d.kill.empty());
  for (const auto& l : d.launch) EXPECT_EQ(l.generation, 1);
}

TEST_F(DecideTest, ConvergedClusterDoesNothing) {
  for (const auto& n : desired) observed.push_back(instance("c-" + n.name, n.name, Phase::Running));
  auto d = run();
  EXPECT_TRUE(d.launch.empty());
  EXPECT_TRUE(d.kill.empty());
}

TEST_F(DecideTest, PendingNodesAreNotLaunchedTwice) {
  pending = {"notebook", "worker-1"};
  auto d = run();
  EXPECT_EQ(d.launch.size(), 2u);
}

TEST_F(DecideTest, FailedInstanceIsKilledAndRelaunchedOnlyAfterItIsGone) {
  for (const auto& n : desired) observed.push_back(instance("c-" + n.name, n.name, Phase::Running));
  observed[1].phase = Phase::Failed;
  auto d = run();
  ASSERT_EQ(d.kill.size(), 1u);
  EXPECT_EQ(d.kill[0].instance.id, observed[1].id);
  EXPECT_TRUE(d.launch.empty());

  generations[observed[1].node] = 1;
  observed.erase(observed.begin() + 1);
  d = run();
  ASSERT_EQ(d.launch.size(), 1u);
  EXPECT_EQ(d.launch[0].generation, 2);
}

TEST_F(DecideTest, BackoffDelaysRelaunch) {
  backoff["worker-2"] = Backoff{2, now + std::chrono::seconds(2)};
  auto d = run();
  EXPECT_EQ(d.launch.size(), 3u);
  EXPECT_EQ(d.waiting.count("worker-2"), 1u);
  now += std::chrono::seconds(3);
  EXPECT_EQ(run().launch.size(), 4u);
}

TEST_F(DecideTest, ChangedSpecReplacesInstance) {
  for (const auto& n : desired) observed.push_back(instance("c-" + n.name, n.name, Phase::Running));
  observed[2].spec_hash = "old";
  auto d = run();
  ASSERT_EQ(d.kill.size(), 1u);
  EXPECT_EQ(d.kill[0].reason, "spec changed");
}

TEST_F(DecideTest, UndesiredNodesAreKilled) {
  observed.push_back(instance("c-w9", "worker-9", Phase::Running));
  auto d = run();
  ASSERT_EQ(d.kill.size(), 1u);
  EXPECT_EQ(d.kill[0].instance.node, "worker-9");
}

TEST_F(DecideTest, TwinsKeepTheNewestGeneration) {
  for (const auto& n : desired) observed.push_back(instance("c-" + n.name, n.name, Phase::Running, 2));
  observed.push_back(instance("old-w1", "worker-1", Phase::Running, 1));
  auto d = run();
  ASSERT_EQ(d.kill.size(), 1u);
  EXPECT_EQ(d.kill[0].instance.id, "old-w1");
}

TEST_F(DecideTest, InstancesBeingKilledAreNotKilledAgain) {
  observed.push_back(instance("c-w9", "worker-9", Phase::Running));
  killing.insert("c-w9");
  EXPECT_TRUE(run().kill.empty());
}

TEST(Backoff, DoublesAndCaps) {
  EXPECT_EQ(backoffDelay(1).count(), 1000);
  EXPECT_EQ(backoffDelay(2).count(), 2000);
  EXPECT_EQ(backoffDelay(4).count(), 8000);
  EXPECT_EQ(backoffDelay(20).count(), 60000);
}

}  // namespace
}  // namespace coral::core
