#include "network/calico_network.h"

#include <gtest/gtest.h>

#include "../cni/test_support.h"

namespace coral::network {
namespace {

using coral::testing::TempDir;
using coral::testing::writeFile;

class ResolveNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.config_dir = dir_.sub("net.d");
    options_.plugin_dirs = {dir_.sub("opt-bin"), dir_.sub("lib-cni")};
    std::filesystem::create_directories(options_.config_dir);
  }
  void installPlugins(const std::vector<std::string>& names, const std::string& where) {
    for (const auto& name : names) writeFile(where + "/" + name, "#!/bin/sh\nexit 0\n", 0755);
  }
  void installDebianPlugins() {
    installPlugins({"ptp", "host-local", "firewall", "portmap"}, dir_.sub("lib-cni"));
  }
  void writeCalicoConfig() {
    writeFile(options_.config_dir + "/10-calico.conflist", R"({
      "cniVersion": "0.3.1", "name": "calico",
      "plugins": [{"type": "calico", "etcd_endpoints": "http://127.0.0.1:2379",
                   "ipam": {"type": "calico-ipam", "ipv4_pools": ["10.213.64.0/18"]}}]})");
  }

  TempDir dir_;
  Options options_;
};

TEST_F(ResolveNetworkTest, GeneratesTheRoutedPtpListWhenCalicoIsAbsent) {
  installDebianPlugins();
  auto net = resolveNetwork({"calico", "10.213.7.0/24"}, dir_.sub("state"), options_);
  ASSERT_TRUE(net.ok()) << net.message();
  EXPECT_EQ(net->plugin, Plugin::Ptp);
  EXPECT_EQ(pluginName(net->plugin), "ptp");
  EXPECT_EQ(net->name, "calico");
  EXPECT_EQ(net->subnet, "10.213.7.0/24");
  EXPECT_EQ(net->gateway, "10.213.7.1");
  EXPECT_EQ(net->config_path, dir_.sub("state") + "/cni/calico.conflist");
  EXPECT_NE(net->reason.find("no Calico config"), std::string::npos);

  // The file on disk is what the runtime will use, and has the agreed shape.
  auto on_disk = nlohmann::json::parse(coral::testing::readFile(net->config_path));
  EXPECT_EQ(on_disk["name"], "calico");
  EXPECT_EQ(on_disk["cniVersion"], "1.0.0");
  ASSERT_EQ(on_disk["plugins"].size(), 3u);
  const auto& ptp = on_disk["plugins"][0];
  EXPECT_EQ(ptp["type"], "ptp");
  EXPECT_EQ(ptp["ipMasq"], false);
  EXPECT_FALSE(ptp.contains("mtu"));
  EXPECT_EQ(ptp["ipam"]["type"], "host-local");
  EXPECT_EQ(ptp["ipam"]["ranges"], nlohmann::json::parse(R"([[{"subnet": "10.213.7.0/24", "gateway": "10.213.7.1"}]])"));
  EXPECT_EQ(ptp["ipam"]["dataDir"], dir_.sub("state") + "/cni/ipam");
  for (const auto& route : ptp["ipam"]["routes"]) {
    EXPECT_TRUE(route.contains("gw")) << "ptp CHECK fails for a route without gw: " << route.dump();
  }
  EXPECT_EQ(ptp["ipam"]["routes"], nlohmann::json::parse(R"([{"dst": "0.0.0.0/0", "gw": "10.213.7.1"}])"));
  EXPECT_EQ(on_disk["plugins"][1]["type"], "firewall");
  const auto& portmap = on_disk["plugins"][2];
  EXPECT_EQ(portmap["type"], "portmap");
  EXPECT_EQ(portmap["capabilities"]["portMappings"], true);
  EXPECT_EQ(portmap["snat"], true);
  EXPECT_EQ(net->config.plugins.size(), 3u);
  EXPECT_TRUE(std::filesystem::is_directory(dir_.sub("state") + "/cni/ipam"));
}

TEST_F(ResolveNetworkTest, UsesCalicoWhenItsConfigAndBinariesExist) {
  installDebianPlugins();
  installPlugins({"calico", "calico-ipam"}, dir_.sub("opt-bin"));
  writeCalicoConfig();
  auto net = resolveNetwork({"calico", "10.213.7.0/24"}, dir_.sub("state"), options_);
  ASSERT_TRUE(net.ok()) << net.message();
  EXPECT_EQ(net->plugin, Plugin::Calico);
  EXPECT_EQ(pluginName(net->plugin), "calico");
  EXPECT_EQ(net->config_path, options_.config_dir + "/10-calico.conflist");
  EXPECT_EQ(net->config.plugins[0]["etcd_endpoints"], "http://127.0.0.1:2379");  // used as is
  EXPECT_EQ(net->subnet, "10.213.64.0/18");
  EXPECT_EQ(net->gateway, "169.254.1.1");
  EXPECT_FALSE(coral::testing::exists(dir_.sub("state") + "/cni/calico.conflist"));
}

TEST_F(ResolveNetworkTest, FallsBackToPtpWhenCalicoBinariesAreMissing) {
  installDebianPlugins();
  installPlugins({"calico"}, dir_.sub("opt-bin"));  // calico-ipam missing
  writeCalicoConfig();
  auto net = resolveNetwork({"calico", "10.213.7.0/24"}, dir_.sub("state"), options_);
  ASSERT_TRUE(net.ok()) << net.message();
  EXPECT_EQ(net->plugin, Plugin::Ptp);
  EXPECT_NE(net->reason.find("calico-ipam"), std::string::npos) << net->reason;
}

TEST_F(ResolveNetworkTest, ANonCalicoConfigWithTheNameIsNotCalico) {
  installDebianPlugins();
  installPlugins({"calico", "calico-ipam"}, dir_.sub("opt-bin"));
  writeFile(options_.config_dir + "/calico.conflist",
            R"({"cniVersion": "1.0.0", "name": "calico", "plugins": [{"type": "bridge"}]})");
  auto net = resolveNetwork({"calico", "10.213.7.0/24"}, dir_.sub("state"), options_);
  ASSERT_TRUE(net.ok()) << net.message();
  EXPECT_EQ(net->plugin, Plugin::Ptp);
}

TEST_F(ResolveNetworkTest, MissingPluginBinaryIsAClearError) {
  installPlugins({"ptp", "host-local", "portmap"}, dir_.sub("lib-cni"));  // no firewall
  auto net = resolveNetwork({"calico", "10.213.7.0/24"}, dir_.sub("state"), options_);
  ASSERT_FALSE(net.ok());
  EXPECT_NE(net.message().find("network calico cannot be set up: CNI plugin \"firewall\" not found"),
            std::string::npos)
      << net.message();
  EXPECT_NE(net.message().find("containernetworking-plugins"), std::string::npos);
}

TEST_F(ResolveNetworkTest, InvalidSubnetOrNameIsRejected) {
  installDebianPlugins();
  EXPECT_FALSE(resolveNetwork({"calico", "10.213.7.1/24"}, dir_.sub("state"), options_).ok());
  EXPECT_FALSE(resolveNetwork({"calico", "169.254.0.0/24"}, dir_.sub("state"), options_).ok());
  EXPECT_FALSE(resolveNetwork({"ca lico", "10.213.7.0/24"}, dir_.sub("state"), options_).ok());
}

}  // namespace
}  // namespace coral::network
