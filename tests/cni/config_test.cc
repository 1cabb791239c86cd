#include "cni/config.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace coral::cni {
namespace {

using coral::testing::TempDir;
using coral::testing::writeFile;

TEST(NetworkConfig, LoadsAConflist) {
  TempDir dir;
  writeFile(dir.sub("10-calico.conflist"), R"({
    "cniVersion": "1.0.0", "name": "calico", "disableCheck": true,
    "plugins": [{"type": "ptp", "ipMasq": false}, {"type": "portmap", "capabilities": {"portMappings": true}}]
  })");
  auto list = loadNetworkConfig(dir.sub("10-calico.conflist"));
  ASSERT_TRUE(list.ok()) << list.message();
  EXPECT_EQ(list->name, "calico");
  EXPECT_EQ(list->cni_version, "1.0.0");
  EXPECT_TRUE(list->disable_check);
  ASSERT_EQ(list->plugins.size(), 2u);
  EXPECT_EQ(list->plugins[0]["type"], "ptp");
  EXPECT_EQ(list->plugins[1]["capabilities"]["portMappings"], true);
  EXPECT_EQ(list->source_path, dir.sub("10-calico.conflist"));
}

TEST(NetworkConfig, WrapsASingleConfAsAOnePluginList) {
  TempDir dir;
  writeFile(dir.sub("calico.conf"), R"({"cniVersion": "0.3.1", "name": "calico", "type": "calico",
    "ipam": {"type": "calico-ipam"}})");
  auto list = loadNetworkConfig(dir.sub("calico.conf"));
  ASSERT_TRUE(list.ok()) << list.message();
  EXPECT_EQ(list->name, "calico");
  EXPECT_EQ(list->cni_version, "0.3.1");
  EXPECT_FALSE(list->disable_check);
  ASSERT_EQ(list->plugins.size(), 1u);
  EXPECT_EQ(list->plugins[0]["type"], "calico");
  EXPECT_EQ(list->plugins[0]["ipam"]["type"], "calico-ipam");
}

TEST(NetworkConfig, SingleConfWithoutVersionIsTheLegacyVersion) {
  auto list = parseNetworkConfig({{"name", "calico"}, {"type", "calico"}}, "inline");
  ASSERT_TRUE(list.ok()) << list.message();
  EXPECT_EQ(list->cni_version, "0.2.0");
}

TEST(NetworkConfig, BadJsonNamesTheFileAndThePosition) {
  TempDir dir;
  writeFile(dir.sub("bad.conflist"), "{\n  \"name\": \"calico\",\n  \"plugins\": [ oops ]\n}\n");
  auto list = loadNetworkConfig(dir.sub("bad.conflist"));
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.message().find(dir.sub("bad.conflist")), std::string::npos) << list.message();
  EXPECT_NE(list.message().find("not valid JSON"), std::string::npos) << list.message();
  EXPECT_NE(list.message().find("line 3"), std::string::npos) << list.message();
  EXPECT_EQ(list.message().find("json.exception"), std::string::npos) << list.message();
}

TEST(NetworkConfig, MissingNameIsAClearError) {
  auto list = parseNetworkConfig(
      nlohmann::json::parse(R"({"cniVersion": "1.0.0", "plugins": [{"type": "ptp"}]})"), "x.conflist");
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.message().find("x.conflist"), std::string::npos);
  EXPECT_NE(list.message().find("missing \"name\""), std::string::npos) << list.message();
}

TEST(NetworkConfig, MissingTypeNamesThePlugin) {
  auto list = parseNetworkConfig(
      nlohmann::json::parse(
          R"({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "ptp"}, {"ipMasq": true}]})"),
      "x.conflist");
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.message().find("plugin #2 has no \"type\""), std::string::npos) << list.message();
}

TEST(NetworkConfig, RejectsPathsAsTypesAndBadNames) {
  EXPECT_FALSE(parseNetworkConfig({{"name", "n"}, {"type", "../../bin/sh"}}, "x").ok());
  auto bad_name = parseNetworkConfig({{"name", "-calico"}, {"type", "ptp"}}, "x");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_NE(bad_name.message().find("network name \"-calico\""), std::string::npos);
}

TEST(NetworkConfig, ConflistWithoutPluginsOrVersionIsAnError) {
  TempDir dir;
  writeFile(dir.sub("a.conflist"), R"({"cniVersion": "1.0.0", "name": "calico", "type": "ptp"})");
  auto a = loadNetworkConfig(dir.sub("a.conflist"));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.message().find("without a \"plugins\" list"), std::string::npos) << a.message();
  auto b = parseNetworkConfig(nlohmann::json::parse(R"({"name": "n", "plugins": [{"type": "ptp"}]})"), "b");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.message().find("cniVersion"), std::string::npos);
  auto c = parseNetworkConfig(nlohmann::json::parse(R"({"name": "n", "cniVersion": "1.0.0", "plugins": []})"), "c");
  EXPECT_FALSE(c.ok());
}

TEST(NetworkConfig, FindPrefersConflistsThenConfsSortedByFileName) {
  TempDir dir;
  writeFile(dir.sub("00-calico.conf"), R"({"cniVersion": "0.3.1", "name": "calico", "type": "calico"})");
  writeFile(dir.sub("20-calico.conflist"),
            R"({"cniVersion": "1.0.0", "name": "calico", "plugins": [{"type": "second"}]})");
  writeFile(dir.sub("10-calico.conflist"),
            R"({"cniVersion": "1.0.0", "name": "calico", "plugins": [{"type": "first"}]})");
  writeFile(dir.sub("05-other.conflist"),
            R"({"cniVersion": "1.0.0", "name": "other", "plugins": [{"type": "x"}]})");
  writeFile(dir.sub("README.txt"), "not a config");
  auto found = findNetworkConfig(dir.path(), "calico");
  ASSERT_TRUE(found.ok()) << found.message();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->plugins[0]["type"], "first");
  EXPECT_EQ((*found)->source_path, dir.sub("10-calico.conflist"));

  auto other = findNetworkConfig(dir.path(), "other");
  ASSERT_TRUE(other.ok() && other->has_value());
  EXPECT_EQ((*other)->plugins[0]["type"], "x");
}

TEST(NetworkConfig, FindFallsBackToSingleConfs) {
  TempDir dir;
  writeFile(dir.sub("b.json"), R"({"cniVersion": "0.3.1", "name": "calico", "type": "from-json"})");
  writeFile(dir.sub("a.conf"), R"({"cniVersion": "0.3.1", "name": "calico", "type": "from-conf"})");
  auto found = findNetworkConfig(dir.path(), "calico");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->plugins[0]["type"], "from-conf");
}

TEST(NetworkConfig, FindWithNoMatchOrNoDirectoryIsEmpty) {
  TempDir dir;
  auto none = findNetworkConfig(dir.path(), "calico");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto missing = findNetworkConfig(dir.sub("does-not-exist"), "calico");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(NetworkConfig, FindReportsABrokenFile) {
  TempDir dir;
  writeFile(dir.sub("10-broken.conflist"), "{");
  auto found = findNetworkConfig(dir.path(), "calico");
  ASSERT_FALSE(found.ok());
  EXPECT_NE(found.message().find("10-broken.conflist"), std::string::npos);
}

TEST(NetworkConfig, ComparesVersions) {
  EXPECT_LT(compareCniVersions("0.4.0", "1.0.0"), 0);
  EXPECT_LT(compareCniVersions("0.3.1", "0.4.0"), 0);
  EXPECT_EQ(compareCniVersions("1.0.0", "1.0.0"), 0);
  EXPECT_GT(compareCniVersions("0.10.0", "0.4.0"), 0);
}

}  // namespace
}  // namespace coral::cni
