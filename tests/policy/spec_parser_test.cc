#include "policy/spec_parser.h"

#include <gtest/gtest.h>

namespace coral::policy {
namespace {

Result<std::vector<Policy>> parse(const std::string& yaml) {
  YAML::Node doc = YAML::Load(yaml);
  return parsePolicies(doc["policies"], "cluster.yaml");
}

std::string errorOf(const std::string& yaml) {
  auto result = parse(yaml);
  EXPECT_FALSE(result.ok()) << "expected an error for:\n" << yaml;
  return result.ok() ? "" : result.message();
}

const char* kSeed = R"(policies:
  - name: block-attacker
    nodes: all
    deny: {from: 10.0.0.5}
  - name: block-laptop
    nodes: [worker-1]
    deny: {mac: "02:00:0D:4c:00:03"}
  - name: web-only
    nodes: [worker-2]
    allow-only: {tcp: [80]}
  - name: no-ping
    nodes: all
    deny: {icmp: echo-request, from: 10.0.0.7}
  - name: notebook-clients
    host-port: 8888
    allow-only: {from: [127.0.0.0/8, 10.213.0.0/24]}
)";

TEST(SpecParser, ParsesTheSeedExamples) {
  auto result = parse(kSeed);
  ASSERT_TRUE(result.ok()) << result.message();
  const auto& p = *result;
  ASSERT_EQ(p.size(), 5u);

  EXPECT_EQ(p[0].name, "block-attacker");
  EXPECT_EQ(p[0].targets.kind, Targets::Kind::All);
  EXPECT_EQ(p[0].action, Action::Deny);
  EXPECT_EQ(p[0].match.from, std::vector<std::string>{"10.0.0.5"});
  EXPECT_EQ(p[0].file, "cluster.yaml");
  EXPECT_EQ(p[0].pos, (SourcePos{2, 11}));

  EXPECT_EQ(p[1].targets.kind, Targets::Kind::Names);
  EXPECT_EQ(p[1].targets.names, std::vector<std::string>{"worker-1"});
  EXPECT_EQ(p[1].targets.name_pos[0], (SourcePos{6, 13}));
  EXPECT_EQ(p[1].match.macs, std::vector<std::string>{"02:00:0d:4c:00:03"});  // normalized

  EXPECT_EQ(p[2].action, Action::AllowOnly);
  ASSERT_EQ(p[2].match.tcp.size(), 1u);
  EXPECT_EQ(p[2].match.tcp[0], (PortRange{80, 80}));

  ASSERT_TRUE(p[3].match.icmp.has_value());
  EXPECT_EQ(p[3].match.icmp->type, 8);
  EXPECT_EQ(p[3].match.icmp->name, "echo-request");
  EXPECT_EQ(p[3].match.from, std::vector<std::string>{"10.0.0.7"});

  EXPECT_EQ(p[4].targets.kind, Targets::Kind::HostPort);
  EXPECT_EQ(p[4].targets.host_port, 8888);
  EXPECT_EQ(p[4].action, Action::AllowOnly);
  EXPECT_EQ(p[4].match.from, (std::vector<std::string>{"127.0.0.0/8", "10.213.0.0/24"}));
}

TEST(SpecParser, AcceptsRoleTargetsAsMapAndString) {
  auto result = parse(R"(policies:
  - name: a
    nodes: {role: worker}
    deny: {from: 10.0.0.5}
  - name: b
    nodes: "role: notebook"
    deny: {udp: [53, 5000-5100], tcp: 22, from: 10.1.0.0/16}
  - name: c
    nodes: worker-3
    deny: {icmp: 13}
)");
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_EQ((*result)[0].targets.kind, Targets::Kind::Role);
  EXPECT_EQ((*result)[0].targets.role, "worker");
  EXPECT_EQ((*result)[1].targets.role, "notebook");
  EXPECT_EQ((*result)[1].match.udp, (std::vector<PortRange>{{53, 53}, {5000, 5100}}));
  EXPECT_EQ((*result)[1].match.tcp, (std::vector<PortRange>{{22, 22}}));
  EXPECT_EQ((*result)[2].targets.names, std::vector<std::string>{"worker-3"});
  EXPECT_EQ((*result)[2].match.icmp->name, "timestamp-request");
}

TEST(SpecParser, NoPoliciesIsEmpty) {
  auto result = parse("name: x\n");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->empty());
}

// Each error: exact file:line:column, the policy, the field, the cause, the fix.
struct ErrorCase {
  const char* yaml;
  const char* message;
};

class SpecParserErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(SpecParserErrors, NamesPositionPolicyAndField) {
  EXPECT_EQ(errorOf(GetParam().yaml), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    AllPaths, SpecParserErrors,
    ::testing::Values(
        ErrorCase{R"(policies:
  - name: block-laptop
    nodes: [worker-1]
    deny: {mac: "02:00:zz"}
)",
                  "cluster.yaml:4:17: policy \"block-laptop\": deny.mac \"02:00:zz\" is not a MAC "
                  "address "
                  "(expected six hex pairs like 02:00:0d:4c:00:03)"},
        ErrorCase{R"(policies:
  - name: p
    nodes: all
    deny: {from: 10.0.0.300}
)",
                  "cluster.yaml:4:18: policy \"p\": deny.from \"10.0.0.300\" is not an IPv4 "
                  "address or CIDR "
                  "(expected e.g. 10.0.0.5 or 10.0.0.0/24)"},
        ErrorCase{
            R"(policies:
  - name: p
    nodes: all
    deny:
      from: [10.0.0.1, 10.0.0.5/24]
)",
            "cluster.yaml:5:24: policy \"p\": deny.from \"10.0.0.5/24\" has host bits set (did you "
            "mean 10.0.0.0/24?)"},
        ErrorCase{
            R"(policies:
  - name: p
    nodes: all
    deny: {from: 10.0.0.0/33}
)",
            "cluster.yaml:4:18: policy \"p\": deny.from \"10.0.0.0/33\" is not an IPv4 address or "
            "CIDR (expected e.g. 10.0.0.5 or 10.0.0.0/24)"},
        ErrorCase{
            R"(policies:
  - name: p
    nodes: all
    allow-only: {tcp: [80, 70000]}
)",
            "cluster.yaml:4:28: policy \"p\": allow-only.tcp \"70000\" is not a port or port range "
            "(expected 1-65535, e.g. 80 or 8000-8100)"},
        ErrorCase{
            R"(policies:
  - name: p
    nodes: all
    allow-only: {udp: 0}
)",
            "cluster.yaml:4:23: policy \"p\": allow-only.udp \"0\" is not a port or port range "
            "(expected 1-65535, e.g. 80 or 8000-8100)"},
        ErrorCase{
            R"(policies:
  - name: p
    nodes: all
    deny: {icmp: echo-requst}
)",
            "cluster.yaml:4:18: policy \"p\": deny.icmp \"echo-requst\" is not an ICMP type "
            "(expected "
            "one of echo-reply, destination-unreachable, source-quench, redirect, echo-request, "
            "router-advertisement, router-solicitation, time-exceeded, parameter-problem, "
            "timestamp-request, timestamp-reply, address-mask-request, address-mask-reply, or a "
            "number 0-254)"},
        ErrorCase{
            R"(policies:
  - name: p
    nodes: all
    deny: {icmp: 255}
)",
            "cluster.yaml:4:18: policy \"p\": deny.icmp \"255\" is not an ICMP type (expected one "
            "of "
            "echo-reply, destination-unreachable, source-quench, redirect, echo-request, "
            "router-advertisement, router-solicitation, time-exceeded, parameter-problem, "
            "timestamp-request, timestamp-reply, address-mask-request, address-mask-reply, or a "
            "number 0-254)"},
        ErrorCase{R"(policies:
  - name: p
    nodes: all
    deny: {sctp: [80]}
)",
                  "cluster.yaml:4:12: policy \"p\": deny has unknown key \"sctp\" (expected from, "
                  "mac, tcp, "
                  "udp, icmp)"},
        ErrorCase{
            R"(policies:
  - name: p
    nodes: all
    deni: {from: 10.0.0.5}
)",
            "cluster.yaml:4:5: policy \"p\": unknown key \"deni\" (expected name, nodes, "
            "host-port, "
            "deny, allow-only)\n"
            "cluster.yaml:2:5: policy \"p\": missing deny or allow-only (say what the policy does, "
            "e.g. deny: {from: 10.0.0.5})"},
        ErrorCase{
            R"(policies:
  - nodes: all
    deny: {from: 10.0.0.5}
)",
            "cluster.yaml:2:5: policy #1: missing name (every policy needs a unique name, e.g. "
            "name: block-attacker)"},
        ErrorCase{R"(policies:
  - name: Block_Laptop
    nodes: all
    deny: {from: 10.0.0.5}
)",
                  "cluster.yaml:2:11: policy \"Block_Laptop\": name \"Block_Laptop\" is not a "
                  "valid policy "
                  "name (use lower-case letters, digits and '-', at most 63 characters, e.g. "
                  "block-attacker)"},
        ErrorCase{
            R"(policies:
  - name: coral-pass
    nodes: all
    deny: {from: 10.0.0.5}
)",
            "cluster.yaml:2:11: policy \"coral-pass\": name \"coral-pass\" starts with \"coral-\", "
            "which is reserved for the policies Coral adds itself (choose another name)"},
        ErrorCase{R"(policies:
  - name: dup
    nodes: all
    deny: {from: 10.0.0.5}
  - name: dup
    nodes: all
    deny: {from: 10.0.0.6}
)",
                  "cluster.yaml:5:11: policy \"dup\": name is already used by the policy at line 2 "
                  "(policy "
                  "names must be unique; rename one of them)"},
        ErrorCase{
            R"(policies:
  - name: p
    nodes: {role: db}
    deny: {from: 10.0.0.5}
)",
            "cluster.yaml:3:19: policy \"p\": nodes.role \"db\" is not a role (expected worker or "
            "notebook)"},
        ErrorCase{
            R"(policies:
  - name: p
    nodes: []
    deny: {from: 10.0.0.5}
)",
            "cluster.yaml:3:12: policy \"p\": nodes is an empty list (expected all, a list of node "
            "names, or {role: worker} / {role: notebook})"},
        ErrorCase{R"(policies:
  - name: p
    nodes: [worker-1, worker-1]
    deny: {from: 10.0.0.5}
)",
                  "cluster.yaml:3:23: policy \"p\": nodes lists \"worker-1\" twice (list each node "
                  "once)"},
        ErrorCase{
            R"(policies:
  - name: p
    deny: {from: 10.0.0.5}
)",
            "cluster.yaml:2:5: policy \"p\": missing nodes or host-port (say where the policy "
            "applies: nodes: all, a list of node names, {role: worker}, or host-port: 8888)"},
        ErrorCase{R"(policies:
  - name: p
    nodes: all
    deny: {}
)",
                  "cluster.yaml:4:11: policy \"p\": deny (a map) is not a non-empty map (name at "
                  "least one "
                  "of from, mac, tcp, udp, icmp, e.g. deny: {from: 10.0.0.5})"},
        ErrorCase{
            R"(policies:
  - name: p
    nodes: all
    deny: {from: 10.0.0.5}
    allow-only: {tcp: [80]}
)",
            "cluster.yaml:5:17: policy \"p\": has both deny and allow-only (a policy does one of "
            "them; split it in two)"},
        ErrorCase{
            R"(policies:
  - name: p
    host-port: 99999
    deny: {from: 10.0.0.5}
)",
            "cluster.yaml:3:16: policy \"p\": host-port \"99999\" is not a port (expected one port "
            "1-65535, e.g. 8888)"},
        ErrorCase{R"(policies:
  - name: p
    host-port: 8888
    deny: {from: 10.0.0.5, tcp: [22]}
)",
                  "cluster.yaml:4:28: policy \"p\": deny.tcp cannot be used with host-port (the "
                  "published "
                  "port is already the match; only from applies)"},
        ErrorCase{R"(policies:
  - name: p
    host-port: 8888
    allow-only: {from: 10.0.0.0/8}
  - name: q
    host-port: 8888
    allow-only: {from: 192.168.0.0/16}
)",
                  "cluster.yaml:6:16: policy \"q\": host-port 8888 already has an allow-only "
                  "policy, \"p\" "
                  "at line 2 (merge the from lists into one policy)"},
        ErrorCase{R"(policies:
  - name: p
    nodes: all
    host-port: 8888
    deny: {from: 10.0.0.5}
)",
                  "cluster.yaml:4:16: policy \"p\": has both nodes and host-port (a policy applies "
                  "either "
                  "to nodes or to the published host port; split it in two)"},
        ErrorCase{R"(policies:
  - name: p
    nodes: all
    deny: {from: 10.0.0.5}
    deny: {from: 10.0.0.6}
)",
                  "cluster.yaml:5:5: policy \"p\": key \"deny\" appears twice (keep one)"},
        ErrorCase{R"(policies:
  - name: p
    nodes: all
    deny: {tcp: []}
)",
                  "cluster.yaml:4:17: policy \"p\": deny.tcp is an empty list (list at least one "
                  "value or "
                  "remove tcp)"},
        ErrorCase{
            R"(policies:
  - just-a-string
)",
            "cluster.yaml:2:5: policy #1: is not a map (expected the keys name, nodes, host-port, "
            "deny, allow-only)"},
        ErrorCase{
            R"(policies: {name: x}
)",
            "cluster.yaml:1:11: policies: is not a list (expected a list of policies, each a map "
            "with name, nodes or host-port, and deny or allow-only)"}));

TEST(SpecParser, ReportsEveryErrorAndReturnsNothing) {
  auto message = errorOf(R"(policies:
  - name: a
    nodes: all
    deny: {mac: "02:00:zz"}
  - name: b
    nodes: all
    deny: {from: 10.0.0.5}
  - name: c
    nodes: all
    deny: {tcp: [0]}
)");
  EXPECT_NE(message.find("cluster.yaml:4:17: policy \"a\""), std::string::npos) << message;
  EXPECT_NE(message.find("cluster.yaml:10:18: policy \"c\""), std::string::npos) << message;
  EXPECT_EQ(message.find("policy \"b\""), std::string::npos) << message;
}

}  // namespace
}  // namespace coral::policy
