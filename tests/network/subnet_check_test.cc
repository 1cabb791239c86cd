#include "network/subnet_check.h"

#include <gtest/gtest.h>

namespace coral::network {
namespace {

// Shaped like `ip -j -4 route show table all` on this machine.
const char* kHostRoutes = R"([
  {"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},
  {"dst":"172.17.0.0/16","dev":"docker0","protocol":"kernel","scope":"link","prefsrc":"172.17.0.1","flags":["linkdown"]},
  {"dst":"192.0.2.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.0.2.2","flags":[]},
  {"type":"local","dst":"127.0.0.0/8","dev":"lo","table":"local","protocol":"kernel","scope":"host","prefsrc":"127.0.0.1","flags":[]},
  {"type":"local","dst":"192.0.2.2","dev":"eth0","table":"local","protocol":"kernel","scope":"host","prefsrc":"192.0.2.2","flags":[]}
])";
const char* kHostAddrs = R"([
  {"ifindex":1,"ifname":"lo","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8}]},
  {"ifindex":4,"ifname":"eth0","addr_info":[{"family":"inet","local":"192.0.2.2","prefixlen":24},
                                             {"family":"inet6","local":"fd00::2","prefixlen":64}]}
])";

std::string withRoute(const std::string& route) {
  std::string routes = kHostRoutes;
  routes.insert(routes.rfind(']'), "," + route);
  return routes;
}

TEST(SubnetCheck, FreeSubnetPasses) {
  auto ok = checkSubnetAgainst("10.213.0.0/24", "calico", kHostRoutes, kHostAddrs);
  EXPECT_TRUE(ok.ok()) << ok.message();
}

TEST(SubnetCheck, OverlappingRouteIsNamed) {
  auto bad = checkSubnetAgainst("10.213.0.0/24", "calico",
                                withRoute(R"({"dst":"10.213.0.0/16","dev":"eth9","flags":[]})"), kHostAddrs);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(),
            "subnet 10.213.0.0/24 of network calico overlaps host route 10.213.0.0/16 dev eth9; "
            "choose another `network.subnet` in the cluster spec");
}

TEST(SubnetCheck, SmallerRouteInsideTheSubnetAlsoOverlaps) {
  auto bad = checkSubnetAgainst("10.213.0.0/24", "calico",
                                withRoute(R"({"dst":"10.213.0.128/25","gateway":"192.0.2.9","dev":"eth0","flags":[]})"),
                                kHostAddrs);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("host route 10.213.0.128/25 via 192.0.2.9 dev eth0"), std::string::npos)
      << bad.message();
}

TEST(SubnetCheck, OwnBlackholeAndContainerRoutesAreNotOverlaps) {
  std::string routes = withRoute(R"({"type":"blackhole","dst":"10.213.0.0/24","flags":[]})");
  routes = std::string(routes).insert(routes.rfind(']'), R"(,{"dst":"10.213.0.2","dev":"veth819d7878","scope":"host","flags":[]})");
  routes = std::string(routes).insert(routes.rfind(']'),
      R"(,{"type":"local","dst":"10.213.0.1","dev":"veth819d7878","table":"local","protocol":"kernel","scope":"host","prefsrc":"10.213.0.1","flags":[]})");
  std::string addrs = kHostAddrs;
  addrs.insert(addrs.rfind(']'), R"(,{"ifindex":6,"ifname":"veth819d7878","addr_info":[{"family":"inet","local":"10.213.0.1","prefixlen":32}]})");
  auto ok = checkSubnetAgainst("10.213.0.0/24", "calico", routes, addrs);
  EXPECT_TRUE(ok.ok()) << ok.message();
}

TEST(SubnetCheck, ABlackholeOfAnotherSizeIsAnOverlap) {
  auto bad = checkSubnetAgainst("10.213.0.0/24", "calico",
                                withRoute(R"({"type":"blackhole","dst":"10.213.0.0/23","flags":[]})"), kHostAddrs);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("blackhole 10.213.0.0/23"), std::string::npos) << bad.message();
}

TEST(SubnetCheck, HostRouteOnAForeignDeviceIsAnOverlap) {
  auto bad = checkSubnetAgainst("10.213.0.0/24", "calico",
                                withRoute(R"({"dst":"10.213.0.7","dev":"eth0","flags":[]})"), kHostAddrs);
  EXPECT_FALSE(bad.ok());
}

TEST(SubnetCheck, OverlappingAddressIsNamed) {
  std::string addrs = kHostAddrs;
  addrs.insert(addrs.rfind(']'), R"(,{"ifindex":9,"ifname":"eth9","addr_info":[{"family":"inet","local":"10.213.0.5","prefixlen":16}]})");
  auto bad = checkSubnetAgainst("10.213.0.0/24", "calico", kHostRoutes, addrs);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("overlaps address 10.213.0.5/16 on eth9"), std::string::npos) << bad.message();
}

TEST(SubnetCheck, DockerBridgeRangeIsTaken) {
  auto bad = checkSubnetAgainst("172.17.5.0/24", "calico", kHostRoutes, kHostAddrs);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("172.17.0.0/16 dev docker0"), std::string::npos) << bad.message();
}

TEST(SubnetCheck, ReservedAndInvalidSubnetsAreRejected) {
  for (const char* subnet : {"169.254.1.0/24", "127.1.0.0/16", "224.0.0.0/24", "240.0.0.0/8", "0.0.0.0/8"}) {
    auto bad = checkSubnetAgainst(subnet, "calico", "[]", "[]");
    ASSERT_FALSE(bad.ok()) << subnet;
    EXPECT_NE(bad.message().find("choose another `network.subnet`"), std::string::npos) << bad.message();
  }
  EXPECT_FALSE(checkSubnetAgainst("10.213.0.0", "calico", "[]", "[]").ok());
  EXPECT_FALSE(checkSubnetAgainst("10.213.0.1/24", "calico", "[]", "[]").ok());
  EXPECT_FALSE(checkSubnetAgainst("10.213.0.0/31", "calico", "[]", "[]").ok());
  EXPECT_FALSE(checkSubnetAgainst("10.0.0.0/7", "calico", "[]", "[]").ok());
  EXPECT_FALSE(checkSubnetAgainst("10.213.0.0/24", "calico", "not json", "[]").ok());
}

}  // namespace
}  // namespace coral::network
