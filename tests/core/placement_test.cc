#include "core/placement.h"

#include <gtest/gtest.h>

#include "core/desired_state.h"

namespace coral::core {
namespace {

std::vector<LaunchRequest> requests() {
  std::vector<LaunchRequest> out;
  for (auto& node : desiredNodes(defaultClusterSpec(), {})) out.push_back({node, 1});
  return out;
}

Offer offer(const std::string& id, const std::string& host, double cpus, int64_t mem,
            std::vector<PortRange> ports = {{31000, 32000}}) {
  return Offer{id, "agent-" + host, host, cpus, mem, std::move(ports)};
}

TEST(Placement, SpreadsNodesAcrossAgents) {
  auto plan = place(requests(),
                    {offer("o1", "a", 8, 16384, {{8888, 8888}, {31000, 32000}}),
                     offer("o2", "b", 8, 16384), offer("o3", "c", 8, 16384)},
                    {}, true);
  EXPECT_TRUE(plan.unplaced.empty());
  ASSERT_EQ(plan.by_offer.size(), 3u);
  EXPECT_EQ(plan.by_offer["o1"][0].node.name, "notebook");
  EXPECT_EQ(plan.by_offer["o1"].size() + plan.by_offer["o2"].size() + plan.by_offer["o3"].size(), 4u);
  EXPECT_LE(plan.by_offer["o1"].size(), 2u);
}

TEST(Placement, PacksWhenSpreadIsOff) {
  auto plan = place(requests(),
                    {offer("o1", "a", 8, 16384, {{8888, 8888}}), offer("o2", "b", 8, 16384)}, {},
                    false);
  EXPECT_EQ(plan.by_offer["o1"].size(), 4u);
  EXPECT_EQ(plan.unused_offers, std::vector<std::string>{"o2"});
}

TEST(Placement, NotebookNeedsItsHostPort) {
  auto plan = place(requests(), {offer("o1", "a", 8, 16384)}, {}, true);
  ASSERT_EQ(plan.unplaced.count("notebook"), 1u);
  EXPECT_NE(plan.unplaced["notebook"].find("8888"), std::string::npos);
  EXPECT_EQ(plan.by_offer["o1"].size(), 3u);
}

TEST(Placement, RespectsCpuAndMemory) {
  auto plan = place(requests(), {offer("o1", "a", 1.2, 16384, {{8888, 8888}})}, {}, true);
  // notebook (1 cpu) fits, then no worker (0.5) fits in the remaining 0.2.
  EXPECT_EQ(plan.by_offer["o1"].size(), 1u);
  EXPECT_EQ(plan.unplaced.size(), 3u);
  EXPECT_NE(plan.unplaced["worker-1"].find("cpus"), std::string::npos);
}

TEST(Placement, HostPortIsUsedOnce) {
  auto reqs = requests();
  reqs.push_back(reqs[0]);
  reqs.back().node.name = "notebook-2";
  auto plan = place(reqs, {offer("o1", "a", 8, 16384, {{8888, 8888}})}, {}, true);
  EXPECT_EQ(plan.unplaced.count("notebook-2"), 1u);
}

}  // namespace
}  // namespace coral::core
