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

TEST(DesiredState, LocalNodesMountTheClusterFiles) {
  NodeFiles files;
  files.notebook_token = "/s/notebook-token";
  files.share_dir = "/s/share";
  files.notebook_dir = "/s/notebook";
  files.api_url = "http://10.213.0.1:7480";
  auto nodes = desiredNodes(defaultClusterSpec(), files);
  const NodeSpec& notebook = nodes.at(0);
  ASSERT_EQ(notebook.files.size(), 3u);
  EXPECT_EQ(notebook.files[0].host_path, "/s/notebook-token");
  EXPECT_EQ(notebook.files[1].container_path, "/run/coral/share");
  EXPECT_EQ(notebook.files[2].container_path, "/run/coral/notebook");
  EXPECT_EQ(notebook.env.at("CORAL_API"), "http://10.213.0.1:7480");
  EXPECT_EQ(notebook.env.at("CORAL_TOKEN_FILE"), "/run/coral/notebook/api-token");
  EXPECT_FALSE(notebook.env.count("CORAL_FILES_URL"));
  const NodeSpec& worker = nodes.at(1);
  ASSERT_EQ(worker.files.size(), 1u);
  EXPECT_EQ(worker.files[0].host_path, "/s/share");
  EXPECT_FALSE(worker.env.count("CORAL_API"));  // workers do not manage the cluster
}

TEST(DesiredState, RemoteNodesFetchTheClusterFilesWithTheirOwnToken) {
  NodeFiles files;
  files.api_url = "http://192.0.2.10:7480";
  files.fetch_url = "http://192.0.2.10:7480/v1/node-files";
  files.worker_token = "worker-secret";
  files.notebook_token_for_fetch = "api-secret";
  auto nodes = desiredNodes(defaultClusterSpec(), files);
  const NodeSpec& notebook = nodes.at(0);
  EXPECT_TRUE(notebook.files.empty());
  EXPECT_EQ(notebook.env.at("CORAL_FILES_URL"), files.fetch_url);
  EXPECT_EQ(notebook.env.at("CORAL_FILES_TOKEN"), "api-secret");
  EXPECT_EQ(notebook.env.at("CORAL_FILES"),
            "share/authorized_keys share/hosts share/mac-rules notebook/id_ed25519 notebook/id_ed25519.pub "
            "notebook/api-token notebook-token");
  EXPECT_EQ(notebook.env.at("CORAL_API"), files.api_url);
  EXPECT_EQ(notebook.env.at("CORAL_SSH_KEY"), "/run/coral/notebook/id_ed25519");
  for (size_t i = 1; i < nodes.size(); ++i) {
    EXPECT_TRUE(nodes[i].files.empty());
    EXPECT_EQ(nodes[i].env.at("CORAL_FILES"), "share/authorized_keys share/hosts share/mac-rules");
    // A worker never holds a credential for the notebook's files.
    EXPECT_EQ(nodes[i].env.at("CORAL_FILES_TOKEN"), "worker-secret");
  }
}

}  // namespace
}  // namespace coral::core
