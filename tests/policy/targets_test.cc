#include "policy/targets.h"

#include <gtest/gtest.h>

#include "policy/spec_parser.h"

namespace coral::policy {
namespace {

std::vector<Policy> parse(const std::string& yaml) {
  auto result = parsePolicies(YAML::Load(yaml)["policies"], "cluster.yaml");
  EXPECT_TRUE(result.ok()) << result.message();
  return result.ok() ? *result : std::vector<Policy>{};
}

const std::vector<NodeRef> kNodes = {
    {"worker-1", "worker"}, {"worker-2", "worker"}, {"notebook", "notebook"}};

TEST(ValidateTargets, AcceptsKnownNodesRolesAndHostPort) {
  auto policies = parse(R"(policies:
  - {name: a, nodes: all, deny: {from: 10.0.0.5}}
  - {name: b, nodes: [worker-1, notebook], deny: {from: 10.0.0.5}}
  - {name: c, nodes: {role: worker}, deny: {from: 10.0.0.5}}
  - {name: d, host-port: 8888, deny: {from: 10.0.0.5}}
)");
  auto status = validateTargets(policies, kNodes);
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST(ValidateTargets, UnknownNodeNamesWithPosition) {
  auto policies = parse(R"(policies:
  - name: a
    nodes: [worker-1, worker-9]
    deny: {from: 10.0.0.5}
)");
  auto status = validateTargets(policies, kNodes);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "cluster.yaml:3:23: policy \"a\": nodes entry \"worker-9\" is not a node of this "
            "cluster (use "
            "one of the cluster's node names; nodes: worker-1, worker-2, notebook)");
}

TEST(ValidateTargets, RoleWithoutNodesAndHostPortWithoutNotebook) {
  auto policies = parse(R"(policies:
  - name: a
    nodes: {role: notebook}
    deny: {from: 10.0.0.5}
  - name: b
    host-port: 8888
    deny: {from: 10.0.0.5}
)");
  auto status = validateTargets(policies, {{"worker-1", "worker"}});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(
      status.message(),
      "cluster.yaml:3:12: policy \"a\": nodes.role \"notebook\" matches no node of this cluster "
      "(add "
      "a notebook node or remove the policy)\n"
      "cluster.yaml:6:16: policy \"b\": host-port guards the notebook's published port, but the "
      "cluster has no notebook node (add a notebook node or remove the policy)");
}

}  // namespace
}  // namespace coral::policy
