// Real iptables, real traffic: the four seed cases on a routed topology of
// network namespaces shaped like the cluster's calico network (the host is
// the router, so node-to-node traffic passes the host's FORWARD chain).
#include "policy/iptables_enforcer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "os/subprocess.h"
#include "policy/iptables_render.h"
#include "policy/spec_parser.h"
#include "test_topology.h"

namespace coral::policy {
namespace {

using testing::Probe;
using testing::Topology;

constexpr const char* kCluster = "ptest";

std::vector<Policy> parse(const std::string& yaml) {
  auto result = parsePolicies(YAML::Load(yaml)["policies"], "test.yaml");
  EXPECT_TRUE(result.ok()) << result.message();
  return result.ok() ? *result : std::vector<Policy>{};
}

class PolicyEnforcement : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_FAIL() << "needs root (network namespaces, iptables)";
    for (const char* tool :
         {"ip", "iptables", "iptables-restore", "iptables-save", "ping", "/usr/bin/python3"}) {
      if (!os::findExecutable(tool)) GTEST_FAIL() << tool << " is not installed";
    }
    lock_ = std::make_unique<testing::ScopedLock>("/run/lock/coral-policy-integration.lock");
    ASSERT_TRUE(enforcer_.removeAll().ok());  // leftovers of a killed run
    topology_ = std::make_unique<Topology>();
    ASSERT_TRUE(topology_->ok()) << topology_->error();
  }

  void TearDown() override {
    // Order: our rules, the servers, then the namespaces and test chains.
    if (lock_) {
      auto status = enforcer_.removeAll();
      EXPECT_TRUE(status.ok()) << status.message();
      const std::string left = testing::iptablesSave();
      EXPECT_EQ(left.find("CORAL-ptest"), std::string::npos) << "removeAll left rules behind:\n"
                                                             << left;
    }
    servers_.clear();
    topology_.reset();
    lock_.reset();
  }

  std::vector<NodeEndpoint> endpoints(const std::vector<std::string>& names = {"a", "b",
                                                                               "c"}) const {
    std::vector<NodeEndpoint> result;
    for (const auto& name : names) {
      const auto& node = topology_->node(name);
      result.push_back(
          {"node-" + name, name == "b" ? "notebook" : "worker", node.ip, node.mac, node.host_veth});
    }
    return result;
  }

  void apply(const std::string& yaml, int host_port = 0, const std::string& notebook_ip = "") {
    auto status = enforcer_.apply(parse(yaml), endpoints(), host_port, notebook_ip);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  void serve(const testing::TestNode& node, const std::vector<int>& ports) {
    auto server = topology_->listen(node, ports);
    ASSERT_TRUE(server) << "listener in " << node.netns << " did not start";
    servers_.push_back(std::move(server));
  }

  const testing::TestNode& a() const { return topology_->node("a"); }
  const testing::TestNode& b() const { return topology_->node("b"); }
  const testing::TestNode& c() const { return topology_->node("c"); }

  IptablesEnforcer enforcer_{kCluster};
  std::unique_ptr<testing::ScopedLock> lock_;
  std::unique_ptr<Topology> topology_;
  std::vector<std::unique_ptr<testing::BackgroundProcess>> servers_;
};

#define EXPECT_PROBE(expected, actual) \
  EXPECT_EQ(std::string(probeName(expected)), std::string(probeName(actual)))

TEST_F(PolicyEnforcement, DenySourceRejectsItAndNoOtherSource) {
  serve(b(), {8080});
  ASSERT_TRUE(topology_->ping(a(), b().ip));
  EXPECT_PROBE(Probe::Connected, topology_->tcp(a(), b().ip, 8080));

  apply("policies:\n  - {name: block-attacker, nodes: [node-b], deny: {from: 10.213.77.10}}\n");
  EXPECT_FALSE(topology_->ping(a(), b().ip));
  EXPECT_PROBE(Probe::Refused, topology_->tcp(a(), b().ip, 8080));  // tcp-reset: fails fast
  EXPECT_TRUE(topology_->ping(c(), b().ip));
  EXPECT_PROBE(Probe::Connected, topology_->tcp(c(), b().ip, 8080));
  EXPECT_TRUE(topology_->ping(b(), c().ip));  // other directions untouched

  apply("policies: []\n");  // removing the policy restores traffic
  EXPECT_TRUE(topology_->ping(a(), b().ip));
  EXPECT_PROBE(Probe::Connected, topology_->tcp(a(), b().ip, 8080));
}

TEST_F(PolicyEnforcement, NoPingDeniesOnlyEchoRequests) {
  serve(b(), {8080});
  apply(
      "policies:\n  - {name: no-ping, nodes: all, deny: {icmp: echo-request, from: "
      "10.213.77.10}}\n");
  EXPECT_FALSE(topology_->ping(a(), b().ip));
  EXPECT_FALSE(topology_->ping(a(), c().ip));
  EXPECT_PROBE(Probe::Connected, topology_->tcp(a(), b().ip, 8080));
  EXPECT_TRUE(topology_->ping(c(), b().ip));
  EXPECT_TRUE(topology_->ping(b(), a().ip));  // a still answers pings (echo-reply is not denied)
}

TEST_F(PolicyEnforcement, AllowOnlyHttpDropsTheRestButKeepsOutboundReplies) {
  auto web = topology_->httpServer(b());
  ASSERT_TRUE(web) << "http.server did not start";
  serve(b(), {22});
  serve(a(), {9000});
  EXPECT_PROBE(Probe::Connected, topology_->tcp(a(), b().ip, 22));

  apply("policies:\n  - {name: web-only, nodes: [node-b], allow-only: {tcp: [80]}}\n");
  EXPECT_TRUE(topology_->http(a(), b().ip));
  EXPECT_TRUE(topology_->http(c(), b().ip));
  EXPECT_PROBE(Probe::TimedOut, topology_->tcp(a(), b().ip, 22, 1.0));  // dropped, not refused
  EXPECT_FALSE(topology_->ping(a(), b().ip));
  // Host-originated traffic takes OUTPUT, not FORWARD: policed as well.
  EXPECT_PROBE(Probe::TimedOut, topology_->tcpFromHost(b().ip, 22, 1.0));
  // b's own connections: the replies come back in (ESTABLISHED).
  EXPECT_PROBE(Probe::Connected, topology_->tcp(b(), a().ip, 9000));
  EXPECT_TRUE(topology_->ping(b(), a().ip));
  // Other nodes are not restricted.
  EXPECT_PROBE(Probe::Connected, topology_->tcp(c(), a().ip, 9000));
  EXPECT_TRUE(topology_->ping(c(), a().ip));

  apply("policies: []\n");
  EXPECT_PROBE(Probe::Connected, topology_->tcp(a(), b().ip, 22));
  EXPECT_TRUE(topology_->ping(a(), b().ip));
}

TEST_F(PolicyEnforcement, MacRuleStopsTheSenderWhoseMacMatches) {
  serve(b(), {8080});
  const std::string denied_mac = "02:00:0d:4c:00:03";
  const std::string original_mac = a().mac;
  apply("policies:\n  - {name: block-laptop, nodes: [node-b], deny: {mac: \"" + denied_mac +
        "\"}}\n");
  EXPECT_TRUE(topology_->ping(a(), b().ip));  // a's MAC does not match yet
  EXPECT_PROBE(Probe::Connected, topology_->tcp(a(), b().ip, 8080));
  // The OUTPUT path (without the MAC rule, which iptables allows only on
  // the FORWARD path) still reaches b.
  EXPECT_PROBE(Probe::Connected, topology_->tcpFromHost(b().ip, 8080));

  ASSERT_TRUE(topology_->setMac(a(), denied_mac));
  EXPECT_FALSE(topology_->ping(a(), b().ip));
  EXPECT_PROBE(Probe::Refused, topology_->tcp(a(), b().ip, 8080));
  EXPECT_TRUE(topology_->ping(c(), b().ip));
  EXPECT_TRUE(topology_->ping(a(), c().ip));  // only b is protected

  ASSERT_TRUE(topology_->setMac(a(), original_mac));
  EXPECT_TRUE(topology_->ping(a(), b().ip));
  EXPECT_PROBE(Probe::Connected, topology_->tcp(a(), b().ip, 8080));
}

TEST_F(PolicyEnforcement, HostPortRulesFilterClientsOfThePublishedPortAfterDnat) {
  serve(b(), {8888});
  const int host_port = 18888;
  ASSERT_TRUE(topology_->publish(host_port, b(), 8888));
  EXPECT_PROBE(Probe::Connected, topology_->tcp(a(), Topology::kGateway, host_port));
  EXPECT_PROBE(Probe::Connected, topology_->tcp(c(), Topology::kGateway, host_port));

  // allow-only: a's address is admitted, c's is dropped.
  apply(
      "policies:\n  - {name: notebook-clients, host-port: 18888, allow-only: {from: [127.0.0.0/8, "
      "10.213.77.10]}}\n",
      host_port, b().ip);
  EXPECT_PROBE(Probe::Connected, topology_->tcp(a(), Topology::kGateway, host_port));
  EXPECT_PROBE(Probe::TimedOut, topology_->tcp(c(), Topology::kGateway, host_port, 1.0));
  // Only the published port is filtered: c still reaches b directly.
  EXPECT_PROBE(Probe::Connected, topology_->tcp(c(), b().ip, 8888));

  // deny: c is refused at once, a is not.
  apply("policies:\n  - {name: notebook-clients, host-port: 18888, deny: {from: 10.213.77.30}}\n",
        host_port, b().ip);
  EXPECT_PROBE(Probe::Refused, topology_->tcp(c(), Topology::kGateway, host_port));
  EXPECT_PROBE(Probe::Connected, topology_->tcp(a(), Topology::kGateway, host_port));

  apply("policies: []\n", host_port, b().ip);
  EXPECT_PROBE(Probe::Connected, topology_->tcp(c(), Topology::kGateway, host_port));
}

TEST_F(PolicyEnforcement, ReapplyIsIdempotentAndDropsNodesThatAreGone) {
  const std::string yaml =
      "policies:\n  - {name: block-attacker, nodes: all, deny: {from: 10.0.0.5}}\n";
  apply(yaml);
  const std::string first = testing::iptablesSave();
  auto chains = enforcer_.listChains();
  ASSERT_TRUE(chains.ok()) << chains.message();
  EXPECT_EQ(chains->size(), 3u);

  apply(yaml);
  EXPECT_EQ(testing::iptablesSave(), first);  // same rules, no duplicate jumps

  // Node c is gone: its chain and both of its jumps disappear.
  auto status = enforcer_.apply(parse(yaml), endpoints({"a", "b"}), 0, "");
  ASSERT_TRUE(status.ok()) << status.message();
  chains = enforcer_.listChains();
  ASSERT_TRUE(chains.ok());
  std::vector<std::string> expected = {nodeChainName(kCluster, "node-a"),
                                       nodeChainName(kCluster, "node-b")};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*chains, expected);
  const std::string now = testing::iptablesSave();
  EXPECT_EQ(now.find("cpt-c"), std::string::npos) << now;
  EXPECT_EQ(now.find(nodeChainName(kCluster, "node-c")), std::string::npos) << now;
}

TEST_F(PolicyEnforcement, RemoveAllLeavesExactlyWhatWasThere) {
  IptablesEnforcer other("ptest-other");
  ASSERT_TRUE(other.removeAll().ok());
  const std::string before = testing::iptablesSave();

  apply(R"(policies:
  - {name: block-attacker, nodes: all, deny: {from: 10.0.0.5}}
  - {name: block-laptop, nodes: [node-a], deny: {mac: "02:00:0d:4c:00:03"}}
  - {name: web-only, nodes: [node-b], allow-only: {tcp: [80]}}
  - {name: notebook-clients, host-port: 18888, allow-only: {from: 10.213.77.10}}
)",
        18888, b().ip);
  // A second cluster on the same host is left alone by the first's removeAll.
  auto other_status =
      other.apply(parse("policies:\n  - {name: x, nodes: all, deny: {from: 10.0.0.9}}\n"),
                  endpoints({"c"}), 0, "");
  ASSERT_TRUE(other_status.ok()) << other_status.message();
  EXPECT_NE(testing::iptablesSave(), before);

  ASSERT_TRUE(enforcer_.removeAll().ok());
  auto left = other.listChains();
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->size(), 1u);
  ASSERT_TRUE(other.removeAll().ok());

  EXPECT_EQ(testing::iptablesSave(), before);
  auto chains = enforcer_.listChains();
  ASSERT_TRUE(chains.ok());
  EXPECT_TRUE(chains->empty());
  ASSERT_TRUE(enforcer_.removeAll().ok());  // idempotent
}

TEST_F(PolicyEnforcement, InvalidInputChangesNothing) {
  const std::string before = testing::iptablesSave();
  auto endpoints_with_bad_veth = endpoints();
  endpoints_with_bad_veth[0].host_veth = "bad veth name";
  auto status =
      enforcer_.apply(parse("policies:\n  - {name: p, nodes: all, deny: {from: 10.0.0.5}}\n"),
                      endpoints_with_bad_veth, 0, "");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("is not an interface name"), std::string::npos)
      << status.message();
  EXPECT_EQ(testing::iptablesSave(), before);

  IptablesEnforcer bad("Bad_Cluster");
  EXPECT_FALSE(bad.apply({}, {}, 0, "").ok());
}

}  // namespace
}  // namespace coral::policy
