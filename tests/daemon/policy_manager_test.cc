// PolicyManager's bookkeeping: where policies come from (spec or API), how
// changes merge, that a bad change leaves everything as it was, and that the
// set survives a daemon restart. Enforcement is off here (the Mesos mode);
// iptables enforcement is proven with real traffic in integration.firewall.
#include "daemon/policy_manager.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "os/atomic_file.h"

namespace coral::daemon {
namespace {

class PolicyManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "coral-pm-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    path_ = dir_ + "/policies.yaml";
    topology_.nodes = {{"notebook", "notebook"}, {"worker-1", "worker"}, {"worker-2", "worker"}};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  PolicyManager manager() {
    PolicyEnforcement remote;
    remote.host_iptables = false;
    return PolicyManager(path_, "pm", remote);
  }

  std::vector<ManagedPolicy> api(const std::string& yaml) {
    auto parsed = PolicyManager::parse(YAML::Load(yaml), "request", "api");
    EXPECT_TRUE(parsed) << parsed.message();
    return parsed ? *parsed : std::vector<ManagedPolicy>{};
  }
  std::vector<ManagedPolicy> spec(const std::string& policies_yaml) {
    auto parsed = PolicyManager::parseSpecPolicies("cluster: pm\npolicies:\n" + policies_yaml,
                                                   "spec.yaml", topology_.nodes);
    EXPECT_TRUE(parsed) << parsed.message();
    return parsed ? *parsed : std::vector<ManagedPolicy>{};
  }
  static std::vector<std::string> names(const PolicyManager& m) {
    std::vector<std::string> out;
    for (const auto& p : m.policies()) out.push_back(p.policy.name + "/" + p.origin);
    return out;
  }

  std::string dir_, path_;
  PolicyTopology topology_;
};

TEST_F(PolicyManagerTest, SpecPoliciesAreReplacedAsAWholeApiPoliciesMergedByName) {
  auto m = manager();
  ASSERT_TRUE(m.replaceSpecPolicies(spec("  - {name: a, nodes: all, deny: {from: 10.0.0.5}}\n"
                                         "  - {name: b, nodes: [worker-1], deny: {from: 10.0.0.6}}\n"),
                                    topology_));
  ASSERT_TRUE(m.merge(api("- {name: c, nodes: all, deny: {icmp: echo-request, from: 10.0.0.7}}"), topology_));
  // The API takes over a name from the spec.
  ASSERT_TRUE(m.merge(api("- {name: b, nodes: [worker-2], deny: {from: 10.0.0.8}}"), topology_));
  EXPECT_EQ(names(m), (std::vector<std::string>{"a/spec", "b/api", "c/api"}));
  EXPECT_EQ(m.policies()[1].policy.targets.names, std::vector<std::string>{"worker-2"});

  // A new spec drops its old entries, keeps the API's, and takes back a name it lists.
  ASSERT_TRUE(m.replaceSpecPolicies(spec("  - {name: c, nodes: all, deny: {from: 10.0.0.9}}\n"), topology_));
  EXPECT_EQ(names(m), (std::vector<std::string>{"c/spec", "b/api"}));
}

TEST_F(PolicyManagerTest, ABadChangeChangesNothing) {
  auto m = manager();
  ASSERT_TRUE(m.merge(api("- {name: keep, nodes: all, deny: {from: 10.0.0.5}}"), topology_));
  auto before = os::readFile(path_);
  ASSERT_TRUE(before);

  // An unknown node: named in the error, nothing applied or written.
  auto unknown = m.merge(api("- {name: new, nodes: [worker-9], deny: {from: 10.0.0.6}}\n"
                             "- {name: keep, nodes: all, deny: {from: 10.0.0.1}}"),
                         topology_);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.message().find("worker-9"), std::string::npos) << unknown.message();
  EXPECT_EQ(names(m), std::vector<std::string>{"keep/api"});
  EXPECT_EQ(m.policies()[0].policy.match.from, std::vector<std::string>{"10.0.0.5"});
  EXPECT_EQ(*os::readFile(path_), *before);

  // Two allow-only lists for the notebook's host port conflict across policies.
  ASSERT_TRUE(m.merge(api("- {name: port-a, host-port: 8888, allow-only: {from: [10.1.0.0/16]}}"), topology_));
  EXPECT_FALSE(m.merge(api("- {name: port-b, host-port: 8888, allow-only: {from: [10.2.0.0/16]}}"), topology_));
  EXPECT_EQ(names(m), (std::vector<std::string>{"keep/api", "port-a/api"}));
}

TEST_F(PolicyManagerTest, BadSpecPoliciesNameThePolicyAndTheField) {
  auto bad = PolicyManager::parseSpecPolicies(
      "cluster: pm\npolicies:\n  - {name: laptop, nodes: all, deny: {mac: '02:00:zz'}}\n", "spec.yaml",
      topology_.nodes);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("laptop"), std::string::npos) << bad.message();
  EXPECT_NE(bad.message().find("mac"), std::string::npos) << bad.message();
  EXPECT_NE(bad.message().find("spec.yaml:3"), std::string::npos) << bad.message();
}

TEST_F(PolicyManagerTest, RemoveAndReloadAfterARestart) {
  {
    auto m = manager();
    ASSERT_TRUE(m.replaceSpecPolicies(spec("  - {name: a, nodes: {role: worker}, allow-only: {tcp: [80]}}\n"),
                                      topology_));
    ASSERT_TRUE(m.merge(api("- {name: b, nodes: all, deny: {from: 10.0.0.0/8}}\n"
                            "- {name: c, nodes: [notebook], deny: {mac: '02:00:0d:4c:00:03'}}"),
                        topology_));
    bool found = false;
    ASSERT_TRUE(m.remove("c", topology_, &found));
    EXPECT_TRUE(found);
    ASSERT_TRUE(m.remove("nope", topology_, &found));
    EXPECT_FALSE(found);
  }
  auto restarted = manager();
  ASSERT_TRUE(restarted.load());
  EXPECT_EQ(names(restarted), (std::vector<std::string>{"a/spec", "b/api"}));
  // The spec's policies, as written, go back into a rewritten spec file.
  auto again = PolicyManager::parseSpecPolicies("cluster: pm\n" + restarted.specPoliciesYaml(),
                                                "spec.yaml", topology_.nodes);
  ASSERT_TRUE(again) << again.message();
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].policy.name, "a");
  // GET /v1/policies says how each is enforced.
  auto json = restarted.toJson();
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[1]["policy"]["deny"]["from"], "10.0.0.0/8");
  EXPECT_NE(json[0]["enforcement"].get<std::string>().find("calico"), std::string::npos);
}

}  // namespace
}  // namespace coral::daemon
