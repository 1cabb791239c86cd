#include "core/desired_state.h"

#include <gtest/gtest.h>

namespace coral::core {
namespace {

TEST(DesiredState, DefaultIsThreeWorkersAndANotebook) {
  auto nodes = desiredNodes(defaultClusterSpec(), {"/s/token", "", ""});
  ASSERT_EQ(nodes.size(), 4u);
  EXPECT_EQ(nodes[0].name, "notebook");
  EXPECT_EQ(nodes[0].hostname, "coral-0");
  EXPECT_EQ(nodes[0].ports.at(0).host, 8888);
  EXPECT_EQ(nodes[0].files.at(0).container_path, "/run/coral/notebook-token");
  EXPECT_EQ(nodes[3].name, "worker-3");
  EXPECT_EQ(nodes[3].labels.at(kLabelRole), "worker");
}

TEST(DesiredState, HashIsStableAndSensitive) {
  auto spec = defaultClusterSpec();
  auto a = desiredNodes(spec, {});
  auto b = desiredNodes(spec, {});
  EXPECT_EQ(a[1].spec_hash, b[1].spec_hash);
  spec.worker_image = "other:1";
  auto c = desiredNodes(spec, {});
  EXPECT_NE(a[1].spec_hash, c[1].spec_hash);
  EXPECT_EQ(a[0].spec_hash, c[0].spec_hash);  // the notebook did not change
}

TEST(DesiredState, ScalingKeepsExistingWorkersHashes) {
  auto spec = defaultClusterSpec();
  auto three = desiredNodes(spec, {});
  spec.workers = 5;
  auto five = desiredNodes(spec, {});
  ASSERT_EQ(five.size(), 6u);
  EXPECT_EQ(three[2].spec_hash, five[2].spec_hash);
}

}  // namespace
}  // namespace coral::core
