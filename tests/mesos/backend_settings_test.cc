// `coral up --backend mesos` flags as stored in mesos.json, and the checks
// that must stop `up` before anything starts.
#include "mesos/backend_settings.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace coral::mesos {
namespace {

TEST(BackendSettings, RoundTripThroughTheStateDir) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "coral-settings-XXXXXX").string();
  const std::string dir = mkdtemp(tmpl.data());
  BackendSettings settings;
  settings.master = "zk://10.0.0.1:2181,10.0.0.2:2181/mesos";
  settings.containerizer = "mesos";
  settings.contentType = "json";
  settings.apiAddress = "10.0.0.9:7481";
  settings.spread = false;
  settings.failoverTimeoutSeconds = 3600;
  ASSERT_TRUE(settings.validate()) << settings.validate().message();
  ASSERT_TRUE(saveSettings(dir, settings));
  auto loaded = loadSettings(dir);
  ASSERT_TRUE(loaded) << loaded.message();
  EXPECT_EQ(loaded->master, settings.master);
  EXPECT_EQ(loaded->containerizer, "mesos");
  EXPECT_EQ(loaded->contentType, "json");
  EXPECT_EQ(loaded->apiAddress, "10.0.0.9:7481");
  EXPECT_FALSE(loaded->spread);
  EXPECT_EQ(loaded->failoverTimeoutSeconds, 3600);
  std::filesystem::remove_all(dir);
}

TEST(BackendSettings, ApiAddressIsAnExplicitIpv4WithAnOptionalPort) {
  auto fallback = parseApiAddress("", "192.0.2.7");
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->ip, "192.0.2.7");
  EXPECT_EQ(fallback->port, kDefaultApiPort);
  auto full = parseApiAddress("10.0.0.2:9000", "192.0.2.7");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->ip, "10.0.0.2");
  EXPECT_EQ(full->port, 9000);
  EXPECT_EQ(parseApiAddress("10.0.0.2", "x")->port, kDefaultApiPort);
  for (const char* bad : {"0.0.0.0:7480", "master.example:7480", "10.0.0.2:0", "10.0.0.2:99999",
                          "10.0.0.2:http", "::1"}) {
    auto parsed = parseApiAddress(bad, "192.0.2.7");
    ASSERT_FALSE(parsed) << bad;
    EXPECT_NE(parsed.message().find("--api-address"), std::string::npos) << parsed.message();
  }
  BackendSettings settings;
  settings.master = "http://10.0.0.1:5050";
  settings.apiAddress = "0.0.0.0";
  EXPECT_FALSE(settings.validate());
}

}  // namespace
}  // namespace coral::mesos
