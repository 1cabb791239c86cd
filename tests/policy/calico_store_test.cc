// Calico resources round-trip through a real etcd (Debian's etcd-server)
// started on loopback for each test, with ephemeral ports and a temp dir.
#include "policy/calico_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "os/subprocess.h"
#include "policy/etcd_http.h"
#include "policy/spec_parser.h"
#include "local_etcd.h"

namespace coral::policy {
namespace {

std::vector<Policy> parse(const std::string& yaml) {
  auto result = parsePolicies(YAML::Load(yaml)["policies"], "cluster.yaml");
  EXPECT_TRUE(result.ok()) << result.message();
  return result.ok() ? *result : std::vector<Policy>{};
}

std::vector<std::string> namesOf(const std::vector<nlohmann::json>& resources) {
  std::vector<std::string> names;
  for (const auto& one : resources) names.push_back(one["metadata"]["name"]);
  return names;
}

class CalicoEtcd : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = testing::LocalEtcd::start();
    ASSERT_TRUE(started) << started.message();
    etcd_ = std::move(*started);
    url_ = etcd_->url();
  }

  std::string url_;
  std::unique_ptr<testing::LocalEtcd> etcd_;
};

const char* kSeed = R"(policies:
  - {name: block-attacker, nodes: all, deny: {from: 10.0.0.5}}
  - {name: block-laptop, nodes: [worker-1], deny: {mac: "02:00:0d:4c:00:03"}}
  - {name: web-only, nodes: [worker-2], allow-only: {tcp: [80]}}
  - {name: no-ping, nodes: all, deny: {icmp: echo-request, from: 10.0.0.7}}
  - {name: notebook-clients, host-port: 8888, allow-only: {from: [127.0.0.0/8, 10.213.0.0/24]}}
)";

TEST_F(CalicoEtcd, WriteReadRoundTripsAtCalicosKeys) {
  auto policies = parse(kSeed);
  ASSERT_TRUE(writeCalicoToEtcd(url_, "demo", policies).ok());

  auto stored = readCalicoFromEtcd(url_, "demo");
  ASSERT_TRUE(stored.ok()) << stored.message();
  auto expected = calicoResources("demo", policies);
  std::sort(expected.begin(), expected.end(), [](const auto& x, const auto& y) {
    return x["metadata"]["name"] < y["metadata"]["name"];
  });
  EXPECT_EQ(*stored, expected);
  EXPECT_EQ(namesOf(*stored),
            (std::vector<std::string>{"block-attacker", "coral-isolate", "coral-pass", "no-ping",
                                      "notebook-clients", "web-only"}));

  // Exactly Calico's key layout, value = the resource JSON.
  etcd::Client raw(url_);
  auto kvs = raw.rangePrefix(
      "/calico/resources/v3/projectcalico.org/networkpolicies/coral-demo/block-attacker");
  ASSERT_TRUE(kvs.ok());
  ASSERT_EQ(kvs->size(), 1u);
  auto value = nlohmann::json::parse((*kvs)[0].value);
  EXPECT_EQ(value["kind"], "NetworkPolicy");
  EXPECT_EQ(value["apiVersion"], "projectcalico.org/v3");
  EXPECT_EQ(value["spec"]["ingress"][0]["source"]["nets"][0], "10.0.0.5/32");

  // Idempotent.
  ASSERT_TRUE(writeCalicoToEtcd(url_, "demo", policies).ok());
  auto again = readCalicoFromEtcd(url_, "demo");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *stored);
}

TEST_F(CalicoEtcd, RewriteReplacesAndClustersAreSeparate) {
  ASSERT_TRUE(writeCalicoToEtcd(url_, "demo", parse(kSeed)).ok());
  ASSERT_TRUE(writeCalicoToEtcd(url_, "other", parse(kSeed)).ok());
  ASSERT_TRUE(writeCalicoToEtcd(url_, "demo", parse(R"(policies:
  - {name: no-ping, nodes: all, deny: {icmp: echo-request, from: 10.0.0.7}}
)"))
                  .ok());
  auto demo = readCalicoFromEtcd(url_, "demo");
  ASSERT_TRUE(demo.ok());
  EXPECT_EQ(namesOf(*demo), (std::vector<std::string>{"coral-pass", "no-ping"}));
  auto other = readCalicoFromEtcd(url_, "other");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->size(), 6u);

  ASSERT_TRUE(writeCalicoToEtcd(url_, "demo", {}).ok());
  demo = readCalicoFromEtcd(url_, "demo");
  ASSERT_TRUE(demo.ok());
  EXPECT_TRUE(demo->empty());
}

TEST_F(CalicoEtcd, DeleteRecomputesCoralsOwnResources) {
  ASSERT_TRUE(writeCalicoToEtcd(url_, "demo", parse(kSeed)).ok());

  ASSERT_TRUE(deleteCalicoFromEtcd(url_, "demo", "web-only").ok());
  auto stored = readCalicoFromEtcd(url_, "demo");
  ASSERT_TRUE(stored.ok());
  // With no allow-only policy left, nothing isolates worker-2 any more.
  EXPECT_EQ(namesOf(*stored), (std::vector<std::string>{"block-attacker", "coral-pass", "no-ping",
                                                        "notebook-clients"}));

  auto missing = deleteCalicoFromEtcd(url_, "demo", "block-laptop");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("has no Calico policy \"block-laptop\""), std::string::npos)
      << missing.message();

  for (const char* name : {"block-attacker", "no-ping", "notebook-clients"}) {
    ASSERT_TRUE(deleteCalicoFromEtcd(url_, "demo", name).ok()) << name;
  }
  stored = readCalicoFromEtcd(url_, "demo");
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty());  // coral-pass goes with the last policy
}

TEST_F(CalicoEtcd, RejectsClusterNamesCalicoCannotUse) {
  EXPECT_FALSE(writeCalicoToEtcd(url_, "Bad/Name", {}).ok());
  EXPECT_FALSE(readCalicoFromEtcd(url_, "Bad/Name").ok());
}

}  // namespace
}  // namespace coral::policy
