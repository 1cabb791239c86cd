// A failed `coral up` says what went wrong and how to fix it, and leaves
// nothing behind: no container, route, rule, lease or state dir.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "cluster_harness.h"

namespace coral::testing {
namespace {

class UpFailures : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = makeTempDir("coral-upfail"); }
  void TearDown() override {
    if (std::filesystem::exists(dir_ + "/state")) coral({"down", "--state-dir", dir_ + "/state"});
    std::filesystem::remove_all(dir_);
  }

  // Runs `up` with the given spec and checks that it failed cleanly.
  os::ProcessOutput upExpectingFailure(const std::string& cluster, const std::string& subnet_prefix,
                                       const std::string& spec) {
    auto before = footprint(cluster, subnet_prefix);
    const std::string spec_path = dir_ + "/spec.yaml";
    EXPECT_TRUE(writeText(spec_path, spec).ok());
    auto up = coral({"up", "-f", spec_path, "--state-dir", dir_ + "/state"}, 120);
    EXPECT_NE(up.exit_code, 0) << up.out << up.err;
    auto after = footprint(cluster, subnet_prefix);
    EXPECT_TRUE(after.containers.empty());
    EXPECT_EQ(after.subnet_routes, before.subnet_routes);
    EXPECT_EQ(after.iptables_rules_for_subnet, before.iptables_rules_for_subnet);
    EXPECT_EQ(after.links, before.links);
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/state/daemon.lock")) << "state dir left behind";
    return up;
  }

  std::string dir_;
};

TEST_F(UpFailures, SpecErrorNamesFileLineAndColumnAndStartsNothing) {
  const std::string spec_path = dir_ + "/spec.yaml";
  ASSERT_TRUE(writeText(spec_path, "cluster: bad\nworkers: zero\n").ok());
  auto up = coral({"up", "-f", spec_path, "--state-dir", dir_ + "/state"}, 30);
  EXPECT_EQ(up.exit_code, 2);
  EXPECT_NE(up.err.find(spec_path + ":2:10: `workers` must be an integer"), std::string::npos) << up.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/state"));
}

TEST_F(UpFailures, TakenNotebookPortIsReportedWithItsHolder) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(18888);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 1), 0);

  auto up = upExpectingFailure("portbusy", "10.213.50.",
                               "cluster: portbusy\nnetwork: {subnet: 10.213.50.0/24}\nnotebook: {port: 18888}\n");
  ::close(listener);
  EXPECT_NE(up.err.find("host port 18888"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("pid " + std::to_string(::getpid())), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("notebook.port"), std::string::npos) << up.err;
}

TEST_F(UpFailures, SubnetOverlappingAHostRouteIsRefused) {
  // A link of our own with an address in the range the spec asks for.
  ASSERT_TRUE(os::runChecked({"ip", "link", "add", "coral-t0", "type", "veth", "peer", "name", "coral-t1"}).ok());
  ASSERT_TRUE(os::runChecked({"ip", "addr", "add", "10.213.61.1/24", "dev", "coral-t0"}).ok());
  ASSERT_TRUE(os::runChecked({"ip", "link", "set", "coral-t0", "up"}).ok());
  auto up = upExpectingFailure("overlap", "10.213.61.",
                               "cluster: overlap\nnetwork: {subnet: 10.213.61.0/24}\nnotebook: {port: 18889}\n");
  (void)os::runChecked({"ip", "link", "del", "coral-t0"});
  EXPECT_NE(up.err.find("10.213.61.0/24"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("overlaps"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("network.subnet"), std::string::npos) << up.err;
}

TEST_F(UpFailures, MissingImageSaysHowToBuildIt) {
  auto up = upExpectingFailure(
      "noimage", "10.213.62.",
      "cluster: noimage\nimages: {worker: coral/nothing:missing}\nnetwork: {subnet: 10.213.62.0/24}\n"
      "notebook: {port: 18890}\n");
  EXPECT_NE(up.err.find("coral/nothing:missing"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("make images"), std::string::npos) << up.err;
}

}  // namespace
}  // namespace coral::testing
