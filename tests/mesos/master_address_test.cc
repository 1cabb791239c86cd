#include "mesos/master_address.h"

#include <gtest/gtest.h>

namespace coral::mesos {
namespace {

TEST(MasterAddress, SingleHttpMaster) {
  auto spec = parseMasterSpec("http://10.0.0.1:5050");
  ASSERT_TRUE(spec.ok()) << spec.message();
  EXPECT_EQ(spec->kind, MasterSpec::Kind::kList);
  ASSERT_EQ(spec->masters.size(), 1u);
  EXPECT_EQ(spec->masters[0], (Endpoint{"10.0.0.1", 5050}));
}

TEST(MasterAddress, CommaSeparatedListWithDefaultsAndPaths) {
  auto spec = parseMasterSpec("http://m1:5050/, m2 ,http://[::1]:5051,m4:7000/api/v1/scheduler");
  ASSERT_TRUE(spec.ok()) << spec.message();
  ASSERT_EQ(spec->masters.size(), 4u);
  EXPECT_EQ(spec->masters[1], (Endpoint{"m2", 5050}));
  EXPECT_EQ(spec->masters[2], (Endpoint{"::1", 5051}));
  EXPECT_EQ(spec->masters[2].toString(), "[::1]:5051");
  EXPECT_EQ(spec->masters[3], (Endpoint{"m4", 7000}));
}

TEST(MasterAddress, ZooKeeper) {
  auto spec = parseMasterSpec("zk://z1:2181,z2/mesos");
  ASSERT_TRUE(spec.ok()) << spec.message();
  EXPECT_EQ(spec->kind, MasterSpec::Kind::kZooKeeper);
  EXPECT_EQ(spec->zkPath, "/mesos");
  EXPECT_EQ(spec->zkConnectString(), "z1:2181,z2:2181");
}

TEST(MasterAddress, RejectsWithActionableErrors) {
  for (const char* bad : {"", "https://m:5050", "zk://z1:2181", "ftp://x", "m:0", "m:99999",
                          "m:", "::1:5050", "zk://u:p@z1/mesos"}) {
    auto spec = parseMasterSpec(bad);
    EXPECT_FALSE(spec.ok()) << bad;
    if (!spec.ok()) {
      EXPECT_NE(spec.message().find("--master"), std::string::npos) << spec.message();
    }
  }
}

TEST(MasterAddress, SchemeLessLocationOfA307) {
  const Endpoint from{"m1", 5050};
  EXPECT_EQ(*parseLocation("//m2.example:5051/api/v1/scheduler", from),
            (Endpoint{"m2.example", 5051}));
  EXPECT_EQ(*parseLocation("http://10.0.0.3:5050/api/v1/scheduler", from),
            (Endpoint{"10.0.0.3", 5050}));
  EXPECT_EQ(*parseLocation("/api/v1/scheduler", from), from);
  EXPECT_EQ(*parseLocation("//m3/api/v1/scheduler", from), (Endpoint{"m3", 5050}));
  EXPECT_FALSE(parseLocation("m2:5050", from).ok());
  EXPECT_FALSE(parseLocation("", from).ok());
}

}  // namespace
}  // namespace coral::mesos
