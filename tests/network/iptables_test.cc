#include <gtest/gtest.h>

#include "network/cni_chains.h"
#include "network/host_port_access.h"
#include "network/iptables_text.h"

namespace coral::network {
namespace {

// What the plugins leave after the last DEL (measured with 1.1.1).
const char* kFilterSkeleton = R"(-P INPUT ACCEPT
-P FORWARD DROP
-P OUTPUT ACCEPT
-N CNI-ADMIN
-N CNI-FORWARD
-N CORAL-HOSTPORTS
-N DOCKER
-N DOCKER-USER
-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD
-A FORWARD -j DOCKER-USER
-A FORWARD -m comment --comment "coral: accept port-mapped connections" -j CORAL-HOSTPORTS
-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN
-A DOCKER-USER -j RETURN
)";

const char* kNatSkeleton = R"(-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-N CNI-HOSTPORT-DNAT
-N CNI-HOSTPORT-MASQ
-N CNI-HOSTPORT-SETMARK
-N DOCKER
-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE
-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000
)";

TEST(IptablesText, SplitsQuotedTokens) {
  auto tokens = splitIptablesLine(R"(-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \"exp\" id: \"exp1\"" -j X)");
  ASSERT_EQ(tokens.size(), 10u);
  EXPECT_EQ(tokens[7], R"(dnat name: "exp" id: "exp1")");
  auto table = parseIptablesRules(kNatSkeleton);
  EXPECT_EQ(table.builtin_chains.size(), 4u);
  EXPECT_EQ(table.user_chains.size(), 4u);
  EXPECT_EQ(table.rules.front().target(), "CNI-HOSTPORT-DNAT");
  EXPECT_EQ(table.rules.front().option("--dst-type"), "LOCAL");
  EXPECT_EQ(table.rules.front().deleteArgs(),
            (std::vector<std::string>{"-D", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j",
                                      "CNI-HOSTPORT-DNAT"}));
}

TEST(CniChains, RemovesTheFilterSkeletonAndOnlyItsJumps) {
  auto lines = planSkeletonCleanup(parseIptablesRules(kFilterSkeleton));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       R"(-D FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD)",
                       R"(-D FORWARD -m comment --comment "coral: accept port-mapped connections" -j CORAL-HOSTPORTS)",
                       R"(-D CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN)",
                       "-X CNI-ADMIN", "-X CNI-FORWARD", "-X CORAL-HOSTPORTS"}));
}

TEST(CniChains, RemovesTheNatSkeleton) {
  auto lines = planSkeletonCleanup(parseIptablesRules(kNatSkeleton));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "-D PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
                       "-D OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
                       R"(-D POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ)",
                       "-D CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE",
                       R"(-D CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000)",
                       "-X CNI-HOSTPORT-DNAT", "-X CNI-HOSTPORT-MASQ", "-X CNI-HOSTPORT-SETMARK"}));
}

TEST(CniChains, KeepsChainsWithContainerRules) {
  std::string filter = kFilterSkeleton;
  filter += "-A CNI-FORWARD -s 10.213.0.2/32 -j ACCEPT\n";
  auto lines = planSkeletonCleanup(parseIptablesRules(filter));
  // CNI-FORWARD is in use, and it still jumps to CNI-ADMIN: both stay.
  EXPECT_EQ(lines, (std::vector<std::string>{
                       R"(-D FORWARD -m comment --comment "coral: accept port-mapped connections" -j CORAL-HOSTPORTS)",
                       "-X CORAL-HOSTPORTS"}));
}

TEST(CniChains, KeepsTheAdminChainWhenAnAdminUsesIt) {
  std::string filter = kFilterSkeleton;
  filter += "-A CNI-ADMIN -s 198.51.100.0/24 -j DROP\n";
  auto lines = planSkeletonCleanup(parseIptablesRules(filter));
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("CNI-FORWARD"), std::string::npos) << line;
    EXPECT_EQ(line.find("CNI-ADMIN"), std::string::npos) << line;
  }
}

TEST(CniChains, KeepsHostportChainsWhileAContainerChainUsesThem) {
  std::string nat = kNatSkeleton;
  nat += "-N CNI-DN-be7ebe97f2ac10e898eaf\n"
         "-A CNI-DN-be7ebe97f2ac10e898eaf -s 127.0.0.1/32 -p tcp -m tcp --dport 18888 -j CNI-HOSTPORT-SETMARK\n"
         "-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment \"dnat name: \\\"calico\\\" id: \\\"a\\\"\" -m multiport "
         "--dports 18888 -j CNI-DN-be7ebe97f2ac10e898eaf\n";
  auto lines = planSkeletonCleanup(parseIptablesRules(nat));
  // DNAT has a container rule and SETMARK is used by CNI-DN-…; MASQ alone could go.
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("CNI-HOSTPORT-DNAT"), std::string::npos) << line;
    EXPECT_EQ(line.find("CNI-HOSTPORT-SETMARK"), std::string::npos) << line;
    EXPECT_EQ(line.find("CNI-DN-"), std::string::npos) << line;
  }
}

TEST(CniChains, KeepsChainsOthersJumpTo) {
  std::string filter = kFilterSkeleton;
  filter += "-N SOMEONE\n-A SOMEONE -j CNI-FORWARD\n";
  auto lines = planSkeletonCleanup(parseIptablesRules(filter));
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("CNI-FORWARD"), std::string::npos) << line;
    EXPECT_EQ(line.find("SOMEONE"), std::string::npos) << line;
  }
}

TEST(CniChains, NothingToDoWithoutSkeletons) {
  EXPECT_TRUE(planSkeletonCleanup(parseIptablesRules("-P FORWARD DROP\n-N DOCKER\n-A FORWARD -j DOCKER\n")).empty());
}

TEST(HostPortAccess, RuleAcceptsOnlyDnatedConnectionsToTheContainerPort) {
  auto spec = hostPortRuleSpec("calico", "abc", "10.213.0.2", {18888, 8888, "tcp", ""});
  EXPECT_EQ(spec, (std::vector<std::string>{"-d", "10.213.0.2/32", "-p", "tcp", "-m", "tcp", "--dport", "8888",
                                            "-m", "conntrack", "--ctstate", "DNAT", "-m", "comment",
                                            "--comment", "coral:calico:abc", "-j", "ACCEPT"}));
}

}  // namespace
}  // namespace coral::network
