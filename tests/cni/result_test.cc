#include "cni/cni_result.h"

#include <gtest/gtest.h>

namespace coral::cni {
namespace {

TEST(CniResult, ParsesVersion1) {
  auto json = nlohmann::json::parse(R"({
    "cniVersion": "1.0.0",
    "interfaces": [{"name": "cali1a2b3c4d5e6", "mac": "ee:ee:ee:ee:ee:ee"},
                   {"name": "eth0", "mac": "0a:58:c0:a8:11:04", "sandbox": "/var/run/netns/x"}],
    "ips": [{"address": "192.168.17.4/32", "interface": 1, "gateway": "169.254.1.1"}],
    "routes": [{"dst": "0.0.0.0/0", "gw": "169.254.1.1"}, {"dst": "10.0.0.0/8"}],
    "dns": {}
  })");
  auto r = parseResult(json);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->cni_version, "1.0.0");
  ASSERT_EQ(r->interfaces.size(), 2u);
  EXPECT_EQ(r->interfaces[0].name, "cali1a2b3c4d5e6");
  EXPECT_EQ(r->interfaces[0].sandbox, "");
  EXPECT_EQ(r->interfaces[1].sandbox, "/var/run/netns/x");
  EXPECT_EQ(r->interfaces[1].mac, "0a:58:c0:a8:11:04");
  ASSERT_EQ(r->ips.size(), 1u);
  EXPECT_EQ(r->ips[0].address, "192.168.17.4/32");
  EXPECT_EQ(r->ips[0].gateway, "169.254.1.1");
  EXPECT_EQ(r->ips[0].interface, 1);
  ASSERT_EQ(r->routes.size(), 2u);
  EXPECT_EQ(r->routes[0].gw, "169.254.1.1");
  EXPECT_EQ(r->routes[1].gw, "");
  EXPECT_EQ(r->firstIpv4(), "192.168.17.4");
  EXPECT_EQ(r->raw, json);
}

TEST(CniResult, ParsesVersion04WithVersionKeysAndPicksTheIpv4) {
  auto r = parseResult(nlohmann::json::parse(R"({
    "cniVersion": "0.4.0",
    "interfaces": [{"name": "eth0", "sandbox": "/proc/1/ns/net"}],
    "ips": [{"version": "6", "address": "fd00::5/64", "interface": 0},
            {"version": "4", "address": "10.213.0.5/24", "gateway": "10.213.0.1", "interface": 0}],
    "routes": [{"dst": "0.0.0.0/0", "gw": "10.213.0.1"}]
  })"));
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->ips.size(), 2u);
  EXPECT_EQ(r->firstIpv4(), "10.213.0.5");
}

TEST(CniResult, ParsesVersion02Ip4AndIp6) {
  auto r = parseResult(nlohmann::json::parse(R"({
    "cniVersion": "0.2.0",
    "ip4": {"ip": "192.168.0.7/32", "gateway": "169.254.1.1",
            "routes": [{"dst": "0.0.0.0/0", "gw": "169.254.1.1"}]},
    "ip6": {"ip": "fd80::7/128"},
    "dns": {}
  })"));
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_EQ(r->ips.size(), 2u);
  EXPECT_EQ(r->ips[0].address, "192.168.0.7/32");
  EXPECT_EQ(r->ips[0].gateway, "169.254.1.1");
  EXPECT_EQ(r->ips[1].address, "fd80::7/128");
  ASSERT_EQ(r->routes.size(), 1u);
  EXPECT_EQ(r->routes[0].dst, "0.0.0.0/0");
  EXPECT_TRUE(r->interfaces.empty());
  EXPECT_EQ(r->firstIpv4(), "192.168.0.7");
}

TEST(CniResult, RecognisesLegacyShapeWithoutVersion) {
  auto r = parseResult(nlohmann::json::parse(R"({"ip4": {"ip": "10.1.2.3/16"}})"));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->firstIpv4(), "10.1.2.3");
}

TEST(CniResult, NoIpv4MeansNoFirstIpv4) {
  auto r = parseResult(nlohmann::json::parse(R"({"cniVersion": "1.0.0", "ips": [{"address": "fd00::1/64"}]})"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->firstIpv4().has_value());
}

TEST(CniResult, RejectsMalformedResults) {
  EXPECT_FALSE(parseResult(nlohmann::json::array()).ok());
  auto not_list = parseResult(nlohmann::json::parse(R"({"cniVersion": "1.0.0", "ips": {}})"));
  ASSERT_FALSE(not_list.ok());
  EXPECT_NE(not_list.message().find("\"ips\" must be a list"), std::string::npos);
  auto bad_index = parseResult(nlohmann::json::parse(
      R"({"cniVersion": "1.0.0", "interfaces": [], "ips": [{"address": "10.0.0.1/24", "interface": 3}]})"));
  ASSERT_FALSE(bad_index.ok());
  EXPECT_NE(bad_index.message().find("ips[0].interface is 3"), std::string::npos) << bad_index.message();
  auto no_address = parseResult(nlohmann::json::parse(R"({"cniVersion": "1.0.0", "ips": [{"gateway": "1.2.3.4"}]})"));
  ASSERT_FALSE(no_address.ok());
  EXPECT_NE(no_address.message().find("\"address\""), std::string::npos);
  auto bad_ip4 = parseResult(nlohmann::json::parse(R"({"cniVersion": "0.2.0", "ip4": {"ip": 5}})"));
  EXPECT_FALSE(bad_ip4.ok());
}

}  // namespace
}  // namespace coral::cni
