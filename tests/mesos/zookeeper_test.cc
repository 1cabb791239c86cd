// Leader detection against a real ZooKeeper server (Debian's zookeeper
// package) started by the test on an ephemeral loopback port.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "mesos/master_connection.h"
#include "mesos/zookeeper_leader_detector.h"
#include "test_master.h"

extern char** environ;

namespace coral::mesos {
namespace {

namespace asio = boost::asio;

TEST(ZooKeeperLeader, LowestJsonSequenceWins) {
  EXPECT_EQ(pickLeaderZnode({"json.info_0000000012", "info_0000000001", "json.info_0000000003",
                             "log_replicas"}),
            "json.info_0000000003");
  EXPECT_FALSE(pickLeaderZnode({"info_0000000001", "json.info_x"}).has_value());
}

TEST(ZooKeeperLeader, MasterInfoJson) {
  // Shaped like the master_info of the recorded 1.12 SUBSCRIBED event.
  auto endpoint = parseMasterInfoJson(
      R"({"address":{"hostname":"m1","ip":"10.0.0.5","port":5050},"hostname":"m1","id":"x",)"
      R"("ip":84017162,"pid":"master@10.0.0.5:5050","port":5050,"version":"1.12.0"})");
  ASSERT_TRUE(endpoint.ok()) << endpoint.message();
  EXPECT_EQ(*endpoint, (Endpoint{"10.0.0.5", 5050}));
  EXPECT_EQ(*parseMasterInfoJson(R"({"hostname":"m2","port":5051})"), (Endpoint{"m2", 5051}));
  EXPECT_EQ(*parseMasterInfoJson(R"({"pid":"master@10.0.0.9:5055"})"),
            (Endpoint{"10.0.0.9", 5055}));
  EXPECT_FALSE(parseMasterInfoJson("\x08\x01 protobuf").ok());
  EXPECT_FALSE(parseMasterInfoJson("{}").ok());
}

class ZooKeeperServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* jar = "/usr/share/java/zookeeper.jar";
    if (!std::filesystem::exists(jar) || !std::filesystem::exists("/usr/bin/java")) {
      GTEST_FAIL() << "ZooKeeper server not installed: apt-get install zookeeperd";
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "coral-zk-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    {
      asio::io_context probe;
      asio::ip::tcp::acceptor acceptor(probe, {asio::ip::make_address("127.0.0.1"), 0});
      port_ = acceptor.local_endpoint().port();
    }
    std::ofstream(dir_ + "/zoo.cfg")
        << "tickTime=500\ndataDir=" << dir_ << "/data\nclientPort=" << port_
        << "\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
           "maxSessionTimeout=10000\n";
    const std::string log = dir_ + "/zookeeper.log";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const std::string classpath = std::string("/etc/zookeeper/conf:") + jar;
    const std::string config = dir_ + "/zoo.cfg";
    std::vector<const char*> argv = {"java",
                                     "-Xmx128m",
                                     "-cp",
                                     classpath.c_str(),
                                     "org.apache.zookeeper.server.ZooKeeperServerMain",
                                     config.c_str(),
                                     nullptr};
    ASSERT_EQ(posix_spawn(&pid_, "/usr/bin/java", &actions, nullptr,
                          const_cast<char**>(argv.data()), environ),
              0);
    posix_spawn_file_actions_destroy(&actions);
    zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);  // test-only: the level is process-global
    zh_ = zookeeper_init(connectString().c_str(), nullptr, 10000, nullptr, nullptr, 0);
    ASSERT_NE(zh_, nullptr);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (zoo_state(zh_) != ZOO_CONNECTED_STATE) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << "ZooKeeper did not start; see " << log;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(zoo_create(zh_, "/mesos", nullptr, -1, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0), ZOK);
  }

  void TearDown() override {
    if (zh_ != nullptr) zookeeper_close(zh_);
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string connectString() const { return "127.0.0.1:" + std::to_string(port_); }

  // Registers a master the way Mesos does: an ephemeral sequential znode.
  std::string registerMaster(const Endpoint& endpoint) {
    const std::string json = R"({"address":{"hostname":"localhost","ip":")" + endpoint.host +
                             R"(","port":)" + std::to_string(endpoint.port) +
                             R"(},"hostname":"localhost","port":)" + std::to_string(endpoint.port) +
                             "}";
    char created[256];
    EXPECT_EQ(
        zoo_create(zh_, "/mesos/json.info_", json.data(), static_cast<int>(json.size()),
                   &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL | ZOO_SEQUENCE, created, sizeof created),
        ZOK);
    return created;
  }

  Result<std::vector<Endpoint>> detect(LeaderDetector& detector) {
    std::optional<Result<std::vector<Endpoint>>> result;
    detector.detect([&](Result<std::vector<Endpoint>> r) { result = std::move(r); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!result && std::chrono::steady_clock::now() < deadline) {
      io_.restart();  // run_for() stops the context when it runs out of work
      io_.run_for(std::chrono::milliseconds(5));
    }
    if (!result) return makeError("detect() never answered");
    return std::move(*result);
  }

  asio::io_context io_;
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  zhandle_t* zh_ = nullptr;
};

TEST_F(ZooKeeperServerTest, LowestSequenceLeadsAndTheNextTakesOver) {
  const std::string first = registerMaster({"127.0.0.1", 5051});
  registerMaster({"127.0.0.1", 5052});
  // An old-style protobuf znode must be ignored.
  ASSERT_EQ(zoo_create(zh_, "/mesos/info_", "\x08\x01", 2, &ZOO_OPEN_ACL_UNSAFE,
                       ZOO_EPHEMERAL | ZOO_SEQUENCE, nullptr, 0),
            ZOK);
  auto spec = parseMasterSpec("zk://" + connectString() + "/mesos");
  ASSERT_TRUE(spec.ok());
  auto detector = makeLeaderDetector(io_, *spec);
  auto leader = detect(*detector);
  ASSERT_TRUE(leader.ok()) << leader.message();
  EXPECT_EQ(*leader, (std::vector<Endpoint>{{"127.0.0.1", 5051}}));
  ASSERT_EQ(zoo_delete(zh_, first.c_str(), -1), ZOK);  // the leader dies
  leader = detect(*detector);
  ASSERT_TRUE(leader.ok()) << leader.message();
  EXPECT_EQ(*leader, (std::vector<Endpoint>{{"127.0.0.1", 5052}}));
}

TEST_F(ZooKeeperServerTest, ClearErrorsForMissingPathAndNoLeader) {
  ZooKeeperLeaderDetector missing(io_, connectString(), "/nope");
  auto result = detect(missing);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.message().find("does not exist"), std::string::npos) << result.message();
  ZooKeeperLeaderDetector empty(io_, connectString(), "/mesos");
  result = detect(empty);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.message().find("no master is elected"), std::string::npos) << result.message();
}

TEST_F(ZooKeeperServerTest, MasterConnectionSubscribesToTheZooKeeperLeader) {
  testing::TestMaster master(io_, {});
  registerMaster(master.endpoint());
  FrameworkConfig config;
  config.user = "root";
  config.roles = {"coral"};
  MasterConnectionOptions options;
  options.detector =
      makeLeaderDetector(io_, *parseMasterSpec("zk://" + connectString() + "/mesos"));
  options.frameworkInfo = *buildFrameworkInfo(config);
  MasterConnection connection(io_, std::move(options), {});
  ASSERT_TRUE(connection.start().ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (connection.state() != MasterConnection::State::kSubscribed &&
         std::chrono::steady_clock::now() < deadline) {
    io_.run_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(connection.state(), MasterConnection::State::kSubscribed);
  EXPECT_EQ(connection.master(), master.endpoint());
}

}  // namespace
}  // namespace coral::mesos
