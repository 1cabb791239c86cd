// The Mesos mode of PolicyManager: every change is written to Calico's etcd
// v3 datastore (a real etcd on loopback), all or nothing, and `down` removes
// the cluster's resources.
#include <gtest/gtest.h>

#include <filesystem>

#include "../policy/local_etcd.h"
#include "daemon/policy_manager.h"
#include "os/atomic_file.h"
#include "policy/calico_store.h"

namespace coral::daemon {
namespace {

class PolicyEtcd : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = policy::testing::LocalEtcd::start();
    ASSERT_TRUE(started) << started.message();
    etcd_ = std::move(*started);
    std::string tmpl = (std::filesystem::temp_directory_path() / "coral-pe-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    topology_.nodes = {{"notebook", "notebook"}, {"worker-1", "worker"}, {"worker-2", "worker"}};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  PolicyManager manager(const std::string& url) {
    PolicyEnforcement remote;
    remote.host_iptables = false;
    remote.calico_etcd = url;
    return PolicyManager(dir_ + "/policies.yaml", "pe", remote);
  }
  static std::vector<ManagedPolicy> api(const std::string& yaml) {
    auto parsed = PolicyManager::parse(YAML::Load(yaml), "request", "api");
    EXPECT_TRUE(parsed) << parsed.message();
    return parsed ? *parsed : std::vector<ManagedPolicy>{};
  }
  std::vector<std::string> stored() {
    std::vector<std::string> names;
    auto resources = policy::readCalicoFromEtcd(etcd_->url(), "pe");
    EXPECT_TRUE(resources) << resources.message();
    if (resources) {
      for (const auto& r : *resources) names.push_back(r["metadata"]["name"].get<std::string>());
    }
    return names;
  }
  static bool has(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  std::unique_ptr<policy::testing::LocalEtcd> etcd_;
  std::string dir_;
  PolicyTopology topology_;
};

TEST_F(PolicyEtcd, ChangesAreWrittenToCalicoLive) {
  auto m = manager(etcd_->url());
  ASSERT_TRUE(m.merge(api("- {name: block-attacker, nodes: all, deny: {from: 10.0.0.5}}\n"
                          "- {name: block-laptop, nodes: [worker-1], deny: {mac: '02:00:0d:4c:00:03'}}\n"
                          "- {name: web-only, nodes: [worker-2], allow-only: {tcp: [80]}}"),
                      topology_));
  auto names = stored();
  EXPECT_TRUE(has(names, "block-attacker")) << ::testing::PrintToString(names);
  EXPECT_TRUE(has(names, "web-only"));
  EXPECT_FALSE(has(names, "block-laptop")) << "Calico has no MAC match";

  // `coral policy list` says which way each went.
  auto listed = m.toJson();
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0]["enforcement"], "calico (etcd " + etcd_->url() + ")");
  EXPECT_EQ(listed[1]["enforcement"].get<std::string>().rfind("not enforced", 0), 0u);

  bool found = false;
  ASSERT_TRUE(m.remove("web-only", topology_, &found));
  EXPECT_TRUE(found);
  EXPECT_FALSE(has(stored(), "web-only"));

  // Node changes do not rewrite label-selected resources; a forced refresh does.
  policy::testing::LocalEtcd* etcd = etcd_.get();
  ASSERT_TRUE(policy::writeCalicoToEtcd(etcd->url(), "pe", {}));
  topology_.endpoints.push_back({"worker-1", "worker", "10.213.0.3", "02:00:00:00:00:01", "veth1"});
  ASSERT_TRUE(m.refresh(topology_));
  EXPECT_FALSE(has(stored(), "block-attacker"));
  ASSERT_TRUE(m.refresh(topology_, /*force=*/true));
  EXPECT_TRUE(has(stored(), "block-attacker"));

  // A restarted daemon writes what it loads.
  ASSERT_TRUE(policy::writeCalicoToEtcd(etcd->url(), "pe", {}));
  auto restarted = manager(etcd_->url());
  ASSERT_TRUE(restarted.load());
  ASSERT_TRUE(restarted.refresh(topology_));
  EXPECT_TRUE(has(stored(), "block-attacker"));

  // `down`.
  ASSERT_TRUE(restarted.removeAll());
  EXPECT_TRUE(stored().empty());
}

// MAC rules name the targets' addresses, so they follow the nodes; the
// label-selected Calico resources do not need to.
TEST_F(PolicyEtcd, NodeChangesRewriteOnlyTheSendersMacRules) {
  PolicyEnforcement remote;
  remote.host_iptables = false;
  remote.calico_etcd = etcd_->url();
  remote.sender_mac_rules = dir_ + "/mac-rules";
  PolicyManager m(dir_ + "/policies.yaml", "pe", remote);
  topology_.endpoints.push_back({"worker-1", "worker", "10.213.0.3", "02:00:00:00:00:01", "veth1"});
  ASSERT_TRUE(m.merge(api("- {name: block-attacker, nodes: all, deny: {from: 10.0.0.5}}\n"
                          "- {name: block-laptop, nodes: [worker-1], deny: {mac: '02:00:0d:4c:00:03'}}"),
                      topology_));
  auto rules = os::readFile(remote.sender_mac_rules);
  ASSERT_TRUE(rules);
  EXPECT_NE(rules->find("02:00:0d:4c:00:03 "), std::string::npos) << *rules;
  EXPECT_NE(rules->find("-d 10.213.0.3/32"), std::string::npos) << *rules;
  EXPECT_TRUE(has(stored(), "block-attacker"));

  // worker-1 is relaunched with a new address.
  ASSERT_TRUE(policy::writeCalicoToEtcd(etcd_->url(), "pe", {}));
  topology_.endpoints.back().ip = "10.213.0.9";
  ASSERT_TRUE(m.refresh(topology_));
  rules = os::readFile(remote.sender_mac_rules);
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->find("10.213.0.3"), std::string::npos) << *rules;
  EXPECT_NE(rules->find("-d 10.213.0.9/32"), std::string::npos) << *rules;
  EXPECT_TRUE(stored().empty()) << "etcd was rewritten for a node change";

  ASSERT_TRUE(m.removeAll());
  EXPECT_EQ(*os::readFile(remote.sender_mac_rules), "");
}

TEST_F(PolicyEtcd, AnUnreachableEtcdChangesNothing) {
  auto good = manager(etcd_->url());
  ASSERT_TRUE(good.merge(api("- {name: keep, nodes: all, deny: {from: 10.0.0.5}}"), topology_));
  auto before = os::readFile(dir_ + "/policies.yaml");
  ASSERT_TRUE(before);

  auto down = manager("http://127.0.0.1:1");
  ASSERT_TRUE(down.load());
  auto failed = down.merge(api("- {name: more, nodes: all, deny: {from: 10.0.0.6}}"), topology_);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.message().find("http://127.0.0.1:1"), std::string::npos) << failed.message();
  EXPECT_NE(failed.message().find("--calico-etcd"), std::string::npos) << failed.message();
  EXPECT_EQ(down.policies().size(), 1u);
  EXPECT_EQ(*os::readFile(dir_ + "/policies.yaml"), *before);
}

}  // namespace
}  // namespace coral::daemon
