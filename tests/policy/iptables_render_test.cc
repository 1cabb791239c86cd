#include "policy/iptables_render.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "policy/spec_parser.h"

namespace coral::policy {
namespace {

std::vector<Policy> parse(const std::string& yaml) {
  auto result = parsePolicies(YAML::Load(yaml)["policies"], "cluster.yaml");
  EXPECT_TRUE(result.ok()) << result.message();
  return result.ok() ? *result : std::vector<Policy>{};
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

const char* kSeed = R"(policies:
  - {name: block-attacker, nodes: all, deny: {from: 10.0.0.5}}
  - {name: block-laptop, nodes: [worker-1], deny: {mac: "02:00:0d:4c:00:03"}}
  - {name: web-only, nodes: [worker-2], allow-only: {tcp: [80]}}
  - {name: no-ping, nodes: all, deny: {icmp: echo-request, from: 10.0.0.7}}
  - {name: notebook-clients, host-port: 8888, allow-only: {from: [127.0.0.0/8, 10.213.0.0/24]}}
)";

const std::vector<NodeEndpoint> kNodes = {
    {"worker-1", "worker", "10.213.0.2", "02:00:00:00:00:02", "veth-w1"},
    {"worker-2", "worker", "10.213.0.3", "02:00:00:00:00:03", "veth-w2"},
    {"notebook", "notebook", "10.213.0.4", "02:00:00:00:00:04", "veth-nb"},
};

TEST(ChainNames, ShortDeterministicReadableAndDistinct) {
  EXPECT_EQ(nodeChainName("demo", "worker-1"), nodeChainName("demo", "worker-1"));
  EXPECT_EQ(nodeChainName("demo", "worker-1").rfind("CORAL-demo-worker-1-", 0), 0u);
  EXPECT_EQ(hostPortChainName("demo", 8888).rfind("CORAL-demo-hp8888-", 0), 0u);

  std::set<std::string> names;
  const std::string long_cluster = "production-analytics-cluster";
  for (const std::string& cluster : {long_cluster, long_cluster + "-b", std::string("demo")}) {
    for (std::string node : {"worker-number-1", "worker-number-2", "notebook-with-long-name"}) {
      for (const auto& name : {nodeChainName(cluster, node), nodeHostChainName(cluster, node)}) {
        EXPECT_LE(name.size(), 28u) << name;
        EXPECT_TRUE(names.insert(name).second) << "collision: " << name;
      }
    }
    auto port_chain = hostPortChainName(cluster, 65535);
    EXPECT_LE(port_chain.size(), 28u) << port_chain;
    EXPECT_TRUE(names.insert(port_chain).second);
  }
}

TEST(RenderIptables, SeedExamplesStructure) {
  const std::string text = renderIptables("demo", parse(kSeed), kNodes, 8888, "10.213.0.4");
  auto all = lines(text);
  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(all.front(), "*filter");
  EXPECT_EQ(all.back(), "COMMIT");

  const std::string w1 = nodeChainName("demo", "worker-1");
  const std::string w1_host = nodeHostChainName("demo", "worker-1");
  const std::string w2 = nodeChainName("demo", "worker-2");
  const std::string nb = nodeChainName("demo", "notebook");
  const std::string hp = hostPortChainName("demo", 8888);

  // Declarations, then rules, then jumps; every rule tagged with the cluster.
  std::vector<std::string> declared, rules, jumps;
  for (const auto& line : all) {
    if (line.rfind(":", 0) == 0) declared.push_back(line);
    if (line.rfind("-A ", 0) == 0) rules.push_back(line);
    if (line.rfind("-I ", 0) == 0) jumps.push_back(line);
    if (line.rfind("-", 0) == 0) {
      EXPECT_NE(line.find("-m comment --comment \"coral:demo:"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(declared, (std::vector<std::string>{":" + hp + " - [0:0]", ":" + w1 + " - [0:0]",
                                                ":" + w1_host + " - [0:0]", ":" + w2 + " - [0:0]",
                                                ":" + nb + " - [0:0]"}));
  EXPECT_EQ(declared.size() + rules.size() + jumps.size() + 2, all.size());

  // Jumps: inserted at the top of FORWARD and OUTPUT, executed last-first so
  // that the host-port chain ends up first, then the nodes in order.
  EXPECT_EQ(
      jumps,
      (std::vector<std::string>{
          "-I OUTPUT 1 -o veth-nb -m comment --comment \"coral:demo:block-attacker,no-ping\" -j " +
              nb,
          "-I FORWARD 1 -o veth-nb -m comment --comment \"coral:demo:block-attacker,no-ping\" -j " +
              nb,
          "-I OUTPUT 1 -o veth-w2 -m comment --comment "
          "\"coral:demo:block-attacker,no-ping,web-only\" "
          "-j " +
              w2,
          "-I FORWARD 1 -o veth-w2 -m comment --comment "
          "\"coral:demo:block-attacker,no-ping,web-only\" "
          "-j " +
              w2,
          // MAC matches are FORWARD-only: OUTPUT goes to the chain without them.
          "-I OUTPUT 1 -o veth-w1 -m comment --comment "
          "\"coral:demo:block-attacker,block-laptop,no-ping\" -j " +
              w1_host,
          "-I FORWARD 1 -o veth-w1 -m comment --comment "
          "\"coral:demo:block-attacker,block-laptop,no-ping\" -j " +
              w1,
          "-I OUTPUT 1 -p tcp -d 10.213.0.4/32 -m conntrack --ctstate DNAT --ctdir ORIGINAL "
          "--ctorigdstport 8888 -m comment --comment \"coral:demo:notebook-clients\" -j " +
              hp,
          "-I FORWARD 1 -p tcp -d 10.213.0.4/32 -m conntrack --ctstate DNAT --ctdir ORIGINAL "
          "--ctorigdstport 8888 -m comment --comment \"coral:demo:notebook-clients\" -j " +
              hp,
      }));

  auto rulesOf = [&](const std::string& chain) {
    std::vector<std::string> out;
    for (const auto& rule : rules) {
      if (rule.rfind("-A " + chain + " ", 0) == 0) out.push_back(rule.substr(chain.size() + 4));
    }
    return out;
  };
  EXPECT_EQ(rulesOf(hp),
            (std::vector<std::string>{
                "-s 127.0.0.0/8 -m comment --comment \"coral:demo:notebook-clients\" -j RETURN",
                "-s 10.213.0.0/24 -m comment --comment \"coral:demo:notebook-clients\" -j RETURN",
                "-m comment --comment \"coral:demo:notebook-clients\" -j DROP",
            }));
  const std::vector<std::string> deny_attacker_and_ping = {
      "-s 10.0.0.5 -p tcp -m comment --comment \"coral:demo:block-attacker\" -j REJECT "
      "--reject-with tcp-reset",
      "-s 10.0.0.5 -m comment --comment \"coral:demo:block-attacker\" -j REJECT --reject-with "
      "icmp-port-unreachable",
      "-s 10.0.0.7 -p icmp --icmp-type echo-request -m comment --comment \"coral:demo:no-ping\" -j "
      "REJECT "
      "--reject-with icmp-port-unreachable",
  };
  EXPECT_EQ(rulesOf(nb), deny_attacker_and_ping);
  EXPECT_EQ(rulesOf(w1_host), deny_attacker_and_ping);
  EXPECT_EQ(rulesOf(w1),
            (std::vector<std::string>{
                deny_attacker_and_ping[0],
                deny_attacker_and_ping[1],
                "-m mac --mac-source 02:00:0d:4c:00:03 -p tcp -m comment --comment "
                "\"coral:demo:block-laptop\" -j REJECT --reject-with tcp-reset",
                "-m mac --mac-source 02:00:0d:4c:00:03 -m comment --comment "
                "\"coral:demo:block-laptop\" -j REJECT --reject-with icmp-port-unreachable",
                deny_attacker_and_ping[2],
            }));
  // allow-only: denies first, then replies, the allowed ports, then DROP.
  auto w2_rules = deny_attacker_and_ping;
  w2_rules.push_back(
      "-m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment \"coral:demo:web-only\" -j "
      "RETURN");
  w2_rules.push_back("-p tcp --dport 80 -m comment --comment \"coral:demo:web-only\" -j RETURN");
  w2_rules.push_back("-m comment --comment \"coral:demo:web-only\" -j DROP");
  EXPECT_EQ(rulesOf(w2), w2_rules);
}

TEST(RenderIptables, NodesWithoutPoliciesGetNoChainAndRolesSelect) {
  auto policies = parse(R"(policies:
  - {name: workers, nodes: {role: worker}, deny: {udp: [53], from: 10.0.0.0/8}}
)");
  auto plan = planIptables("demo", policies, kNodes, 8888, "10.213.0.4");
  EXPECT_EQ(plan.chains, (std::vector<std::string>{nodeChainName("demo", "worker-1"),
                                                   nodeChainName("demo", "worker-2")}));
  ASSERT_EQ(plan.rules.size(), 2u);
  EXPECT_EQ(plan.rules[0],
            "-A " + nodeChainName("demo", "worker-1") +
                " -s 10.0.0.0/8 -p udp --dport 53 -m comment --comment \"coral:demo:workers\" -j "
                "REJECT --reject-with icmp-port-unreachable");
  EXPECT_EQ(renderIptables("demo", {}, kNodes, 8888, "10.213.0.4"), "*filter\nCOMMIT\n");
}

TEST(RenderIptables, ManyPortsAreSplitForMultiport) {
  std::string ports;
  for (int port = 1000; port < 1020; ++port)
    ports += (ports.empty() ? "" : ", ") + std::to_string(port);
  auto policies = parse("policies:\n  - {name: many, nodes: [worker-1], allow-only: {tcp: [" +
                        ports + ", 2000-2010], udp: [53]}}\n");
  auto plan = planIptables("demo", policies, kNodes, 0, "");
  std::vector<std::string> port_rules;
  for (const auto& rule : plan.rules) {
    if (rule.find("port") != std::string::npos) port_rules.push_back(rule);
  }
  ASSERT_EQ(port_rules.size(), 3u);
  EXPECT_NE(port_rules[0].find(
                "-p tcp -m multiport --dports 1000,1001,1002,1003,1004,1005,1006,1007,1008,"
                "1009,1010,1011,1012,1013,1014 "),
            std::string::npos)
      << port_rules[0];
  EXPECT_NE(port_rules[1].find("-p tcp -m multiport --dports 1015,1016,1017,1018,1019,2000:2010 "),
            std::string::npos)
      << port_rules[1];
  EXPECT_NE(port_rules[2].find("-p udp --dport 53 "), std::string::npos) << port_rules[2];
}

TEST(RenderIptables, HostPortOtherThanTheNotebooksMatchesAnyDestination) {
  auto policies = parse(R"(policies:
  - {name: other-port, host-port: 9999, deny: {from: 10.0.0.5}}
)");
  auto plan = planIptables("demo", policies, kNodes, 8888, "10.213.0.4");
  ASSERT_EQ(plan.jumps.size(), 2u);
  EXPECT_EQ(plan.jumps[1],
            "-I FORWARD 1 -p tcp -m conntrack --ctstate DNAT --ctdir ORIGINAL --ctorigdstport 9999 "
            "-m comment --comment \"coral:demo:other-port\" -j " +
                hostPortChainName("demo", 9999));
  EXPECT_EQ(plan.rules, (std::vector<std::string>{
                            "-A " + hostPortChainName("demo", 9999) +
                            " -s 10.0.0.5 -p tcp -m comment --comment \"coral:demo:other-port\" "
                            "-j REJECT --reject-with tcp-reset"}));
}

}  // namespace
}  // namespace coral::policy

namespace coral::policy {
namespace {

TEST(RenderIptables, MacOnlyNodeHasNoOutputChain) {
  auto policies = parse(R"(policies:
  - {name: block-laptop, nodes: [worker-1], deny: {mac: "02:00:0d:4c:00:03"}}
)");
  auto plan = planIptables("demo", policies, kNodes, 0, "");
  EXPECT_EQ(plan.chains, std::vector<std::string>{nodeChainName("demo", "worker-1")});
  ASSERT_EQ(plan.jumps.size(),
            1u);  // host-originated packets carry no MAC: nothing to check on OUTPUT
  EXPECT_EQ(plan.jumps[0].rfind("-I FORWARD 1 -o veth-w1 ", 0), 0u) << plan.jumps[0];

  // With allow-only as well, OUTPUT gets the chain without the MAC rules.
  policies = parse(R"(policies:
  - {name: only-laptop, nodes: [worker-1], allow-only: {mac: "02:00:0d:4c:00:03"}}
)");
  plan = planIptables("demo", policies, kNodes, 0, "");
  EXPECT_EQ(plan.chains, (std::vector<std::string>{nodeChainName("demo", "worker-1"),
                                                   nodeHostChainName("demo", "worker-1")}));
  std::vector<std::string> host_rules;
  for (const auto& rule : plan.rules) {
    if (rule.rfind("-A " + nodeHostChainName("demo", "worker-1"), 0) == 0)
      host_rules.push_back(rule);
  }
  ASSERT_EQ(host_rules.size(), 2u);  // replies, then DROP: the host matches no MAC
  EXPECT_NE(host_rules[0].find("ESTABLISHED,RELATED"), std::string::npos);
  EXPECT_NE(host_rules[1].find("-j DROP"), std::string::npos);
}

}  // namespace
}  // namespace coral::policy

namespace coral::policy {
namespace {

TEST(SenderMacRules, TheNodeWithTheMacRejectsItsOwnPacketsToTheTargets) {
  auto policies = parse(R"(policies:
  - {name: block-laptop, nodes: [worker-1], deny: {mac: "02:00:0d:4c:00:03"}}
  - {name: no-ping-from-two, nodes: {role: worker}, deny: {mac: ["02:00:00:00:00:0a", "02:00:00:00:00:0b"], icmp: echo-request}}
  - {name: mac-only-allowed, nodes: [notebook], allow-only: {mac: "02:00:00:00:00:0c"}}
  - {name: block-attacker, nodes: all, deny: {from: 10.0.0.5}}
)");
  auto rules = lines(renderSenderMacRules("demo", policies, kNodes));
  const std::vector<std::string> expected = {
      "02:00:0d:4c:00:03 -A CORAL-MAC -d 10.213.0.2/32 -p tcp -m comment --comment \"coral:demo:block-laptop\" -j REJECT --reject-with tcp-reset",
      "02:00:0d:4c:00:03 -A CORAL-MAC -d 10.213.0.2/32 -m comment --comment \"coral:demo:block-laptop\" -j REJECT --reject-with icmp-port-unreachable",
      "02:00:00:00:00:0a -A CORAL-MAC -d 10.213.0.2/32 -p icmp --icmp-type echo-request -m comment --comment \"coral:demo:no-ping-from-two\" -j REJECT --reject-with icmp-port-unreachable",
      "02:00:00:00:00:0b -A CORAL-MAC -d 10.213.0.2/32 -p icmp --icmp-type echo-request -m comment --comment \"coral:demo:no-ping-from-two\" -j REJECT --reject-with icmp-port-unreachable",
      "02:00:00:00:00:0a -A CORAL-MAC -d 10.213.0.3/32 -p icmp --icmp-type echo-request -m comment --comment \"coral:demo:no-ping-from-two\" -j REJECT --reject-with icmp-port-unreachable",
      "02:00:00:00:00:0b -A CORAL-MAC -d 10.213.0.3/32 -p icmp --icmp-type echo-request -m comment --comment \"coral:demo:no-ping-from-two\" -j REJECT --reject-with icmp-port-unreachable",
  };
  EXPECT_EQ(rules, expected);
  EXPECT_TRUE(enforcedAtSender(policies[0]));
  EXPECT_FALSE(enforcedAtSender(policies[2])) << "allow-only cannot be enforced by senders";
  EXPECT_FALSE(enforcedAtSender(policies[3]));
  // Nodes without an address yet get no rules.
  EXPECT_EQ(renderSenderMacRules("demo", policies, {{"worker-1", "worker", "", "", ""}}), "");
}

}  // namespace
}  // namespace coral::policy
