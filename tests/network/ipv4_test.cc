#include "network/ipv4.h"

#include <gtest/gtest.h>

namespace coral::network {
namespace {

TEST(Ipv4, ParsesPrefixesStrictlyAndLeniently) {
  auto p = parseIpv4Prefix("10.213.0.0/24", true);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->toString(), "10.213.0.0/24");
  EXPECT_EQ(formatIpv4(p->first() + 1), "10.213.0.1");
  EXPECT_EQ(formatIpv4(p->last()), "10.213.0.255");
  auto host_bits = parseIpv4Prefix("10.213.0.1/24", true);
  ASSERT_FALSE(host_bits.ok());
  EXPECT_NE(host_bits.message().find("did you mean 10.213.0.0/24"), std::string::npos);
  EXPECT_TRUE(parseIpv4Prefix("10.213.0.1/24", false).ok());
  EXPECT_FALSE(parseIpv4Prefix("10.213.0.0", true).ok());
  EXPECT_FALSE(parseIpv4Prefix("10.213.0.0/33", true).ok());
  EXPECT_FALSE(parseIpv4Prefix("10.213.0/24", true).ok());
  EXPECT_FALSE(parseIpv4Prefix("10.213.0.0/x", true).ok());
}

TEST(Ipv4, OverlapAndContainment) {
  auto a = *parseIpv4Prefix("10.213.0.0/16", true);
  auto b = *parseIpv4Prefix("10.213.5.0/24", true);
  auto c = *parseIpv4Prefix("10.214.0.0/24", true);
  EXPECT_TRUE(a.overlaps(b));
  EXPECT_TRUE(b.overlaps(a));
  EXPECT_TRUE(a.contains(b));
  EXPECT_FALSE(b.contains(a));
  EXPECT_FALSE(a.overlaps(c));
}

TEST(Ipv4, RouteDestinations) {
  EXPECT_EQ(parseRouteDestination("default")->length, 0);
  EXPECT_EQ(parseRouteDestination("10.0.0.5")->length, 32);
  EXPECT_EQ(parseRouteDestination("10.0.0.0/8")->toString(), "10.0.0.0/8");
  EXPECT_FALSE(parseRouteDestination("fe80::/64").has_value());
}

}  // namespace
}  // namespace coral::network
