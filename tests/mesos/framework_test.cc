#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mesos/framework_id_store.h"
#include "mesos/framework_info.h"

namespace coral::mesos {
namespace {

std::string tempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "coral-mesos-XXXXXX").string();
  return mkdtemp(tmpl.data());
}

TEST(FrameworkInfoBuilder, LongRunningDefaults) {
  FrameworkConfig config;
  config.user = "nbuser";
  config.roles = {"coral"};
  config.principal = "coral";
  config.hostname = "sched.example";
  config.webuiUrl = "http://sched.example:8080";
  auto info = buildFrameworkInfo(config);
  ASSERT_TRUE(info.ok()) << info.message();
  EXPECT_EQ(info->user(), "nbuser");
  EXPECT_EQ(info->name(), "coral");
  ASSERT_EQ(info->roles_size(), 1);
  EXPECT_FALSE(info->has_role());
  ASSERT_EQ(info->capabilities_size(), 1);
  EXPECT_EQ(info->capabilities(0).type(), v1::FrameworkInfo::Capability::MULTI_ROLE);
  EXPECT_TRUE(info->checkpoint());
  EXPECT_DOUBLE_EQ(info->failover_timeout(), 604800);
  EXPECT_EQ(info->principal(), "coral");
  EXPECT_EQ(info->webui_url(), "http://sched.example:8080");
  EXPECT_FALSE(info->has_id());
}

TEST(FrameworkInfoBuilder, RejectsClassicMistakes) {
  FrameworkConfig config;
  config.user = "u";
  config.roles = {"r"};
  auto bad = [&](auto mutate) {
    FrameworkConfig c = config;
    mutate(c);
    return !buildFrameworkInfo(c).ok();
  };
  EXPECT_TRUE(bad([](FrameworkConfig& c) { c.user.clear(); }));
  EXPECT_TRUE(bad([](FrameworkConfig& c) { c.roles.clear(); }));
  EXPECT_TRUE(bad([](FrameworkConfig& c) { c.roles = {"a", "a"}; }));
  EXPECT_TRUE(bad([](FrameworkConfig& c) { c.roles = {"a b"}; }));
  EXPECT_TRUE(bad([](FrameworkConfig& c) { c.failoverTimeoutSeconds = 0; }));
  EXPECT_FALSE(bad([](FrameworkConfig& c) { c.failoverTimeoutSeconds = 3600; }));
}

TEST(Credentials, BasicAuthFromASecretFile) {
  const std::string dir = tempDir();
  std::ofstream(dir + "/secret") << "s3cret\n";
  auto creds = loadCredentials("coral", dir + "/secret");
  ASSERT_TRUE(creds.ok()) << creds.message();
  EXPECT_EQ(creds->secret, "s3cret");
  EXPECT_EQ(creds->authorizationHeader(), "Basic " + base64Encode("coral:s3cret"));
  EXPECT_EQ(base64Encode("coral:s3cret"), "Y29yYWw6czNjcmV0");
  std::ofstream(dir + "/colon") << "a:b\n";
  EXPECT_FALSE(loadCredentials("coral", dir + "/colon").ok());
  EXPECT_FALSE(loadCredentials("coral", dir + "/missing").ok());
  EXPECT_FALSE(loadCredentials("co:ral", dir + "/secret").ok());
  std::filesystem::remove_all(dir);
}

TEST(FrameworkIdStore, SaveLoadClear) {
  const std::string root = tempDir();
  struct Cleanup {
    std::string path;
    ~Cleanup() { std::filesystem::remove_all(path); }
  } cleanup{root};
  const std::string dir = root + "/state/nested";
  FrameworkIdStore store(dir);
  auto empty = store.load();
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
  ASSERT_TRUE(store.save("d58b287b-eb5b-494a-a819-a030387d8d04-0000").ok());
  auto loaded = FrameworkIdStore(dir).load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(**loaded, "d58b287b-eb5b-494a-a819-a030387d8d04-0000");
  EXPECT_EQ(
      std::filesystem::status(store.path()).permissions() & std::filesystem::perms::others_read,
      std::filesystem::perms::none);
  ASSERT_TRUE(store.clear().ok());
  EXPECT_FALSE(store.load()->has_value());
  std::ofstream(store.path()) << "not/an id\n";
  EXPECT_FALSE(store.load().ok());
}

}  // namespace
}  // namespace coral::mesos
