// The spine end to end on real Docker, real CNI plugins and real Jupyter:
// `coral up` with the built-in default spec, then everything a user relies
// on, then `coral down` leaving nothing behind. One cluster for the whole
// suite (bringing it up is the expensive part); tests run in order.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "cluster_harness.h"
#include "docker/docker_client.h"
#include "jupyter_client.h"
#include "os/atomic_file.h"

namespace coral::testing {
namespace {

const char* kCluster = "coral";
const char* kSubnetPrefix = "10.213.0.";

class Spine : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    state_dir_ = new std::string(makeTempDir("coral-spine") + "/state");
    before_ = new HostFootprint(footprint(kCluster, kSubnetPrefix));
    up_ = new os::ProcessOutput(coral({"up", "--state-dir", *state_dir_}));
  }
  static void TearDownTestSuite() {
    // Whatever happened above, the machine is left as it was found.
    if (std::filesystem::exists(*state_dir_)) coral({"down", "--state-dir", *state_dir_});
    std::filesystem::remove_all(std::filesystem::path(*state_dir_).parent_path());
  }

  static nlohmann::json status() {
    auto s = clusterStatus(*state_dir_);
    EXPECT_TRUE(s.ok()) << s.message();
    return s.ok() ? *s : nlohmann::json::object();
  }
  static std::string token() {
    auto text = os::readFile(*state_dir_ + "/notebook-token");
    std::string t = text ? *text : "";
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t;
  }
  static std::map<std::string, std::string> instancesByNode() {
    std::map<std::string, std::string> ids;
    const auto s = status();
    for (const auto& node : s["nodes"]) ids[node["name"]] = node["instance"];
    return ids;
  }
  static int containerCount() {
    docker::DockerClient docker;
    auto listed = docker.listContainers({{"coral.cluster", kCluster}}, true);
    return listed ? static_cast<int>(listed->size()) : -1;
  }

  static std::string* state_dir_;
  static HostFootprint* before_;
  static os::ProcessOutput* up_;
};

std::string* Spine::state_dir_ = nullptr;
HostFootprint* Spine::before_ = nullptr;
os::ProcessOutput* Spine::up_ = nullptr;

TEST_F(Spine, UpSucceedsAndPrintsTheNotebookUrl) {
  ASSERT_EQ(up_->exit_code, 0) << up_->out << up_->err;
  EXPECT_NE(up_->out.find(":8888/?token=" + token()), std::string::npos) << up_->out;
  EXPECT_NE(up_->out.find(*state_dir_ + "/notebook-token"), std::string::npos);
}

TEST_F(Spine, StatusShowsThreeWorkersAndANotebookOnTheCalicoNetwork) {
  auto s = status();
  EXPECT_EQ(s["cluster"], kCluster);
  EXPECT_EQ(s["backend"], "local");
  EXPECT_EQ(s["network"]["name"], "calico");
  EXPECT_EQ(s["network"]["plugin"], "ptp");  // no Calico binaries on this machine
  EXPECT_EQ(s["network"]["subnet"], "10.213.0.0/24");
  int workers = 0, notebooks = 0;
  std::set<std::string> ips;
  for (const auto& node : s["nodes"]) {
    EXPECT_EQ(node["state"], "running") << node.dump();
    std::string ip = node["ip"];
    EXPECT_EQ(ip.rfind(kSubnetPrefix, 0), 0u) << ip;
    ips.insert(ip);
    EXPECT_FALSE(node["host"].get<std::string>().empty());
    if (node["role"] == "worker") ++workers;
    if (node["role"] == "notebook") {
      ++notebooks;
      ASSERT_EQ(node["ports"].size(), 1u);
      EXPECT_EQ(node["ports"][0]["host"], 8888);
      EXPECT_EQ(node["ports"][0]["container"], 8888);
    }
  }
  EXPECT_EQ(workers, 3);
  EXPECT_EQ(notebooks, 1);
  EXPECT_EQ(ips.size(), 4u);
  EXPECT_EQ(s["notebook"]["token_file"], *state_dir_ + "/notebook-token");
  EXPECT_EQ(std::filesystem::status(*state_dir_ + "/notebook-token").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(Spine, EveryPairOfNodesCanPingEachOther) {
  auto s = status();
  docker::DockerClient docker;
  for (const auto& from : s["nodes"]) {
    for (const auto& to : s["nodes"]) {
      if (from["name"] == to["name"]) continue;
      auto ping = docker.exec(from["instance"], {"ping", "-c", "1", "-W", "2", to["ip"]},
                              std::chrono::seconds(10));
      ASSERT_TRUE(ping.ok()) << ping.message();
      EXPECT_EQ(ping->exit_code, 0) << from["name"] << " -> " << to["name"] << ": " << ping->out << ping->err;
    }
  }
}

TEST_F(Spine, HostReachesTheNotebookOnPort8888WithTokenAuth) {
  auto api = httpRequest("127.0.0.1", 8888, "GET", "/api", "");
  ASSERT_TRUE(api.ok()) << api.message();
  EXPECT_EQ(api->status, 200);
  EXPECT_NE(api->body.find("version"), std::string::npos);
  auto anonymous = httpRequest("127.0.0.1", 8888, "GET", "/api/kernelspecs", "");
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->status, 403);
  auto authed = httpRequest("127.0.0.1", 8888, "GET", "/api/kernelspecs", token());
  ASSERT_TRUE(authed.ok());
  EXPECT_EQ(authed->status, 200);
  EXPECT_NE(authed->body.find("python3"), std::string::npos);
}

TEST_F(Spine, AKernelComputesAndPingsAWorker) {
  auto result = runInKernel("127.0.0.1", 8888, token(), "1+1", std::chrono::seconds(60));
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(result->status, "ok");
  EXPECT_EQ(result->text, "2");

  std::string worker_ip;
  const auto s = status();
  for (const auto& node : s["nodes"]) {
    if (node["name"] == "worker-1") worker_ip = node["ip"];
  }
  ASSERT_FALSE(worker_ip.empty());
  auto ping = runInKernel("127.0.0.1", 8888, token(),
                          "import subprocess\nprint(subprocess.run(['ping','-c','1','-W','2','" +
                              worker_ip + "'], capture_output=True).returncode)",
                          std::chrono::seconds(60));
  ASSERT_TRUE(ping.ok()) << ping.message();
  EXPECT_EQ(ping->status, "ok");
  EXPECT_EQ(ping->text, "0\n");
}

TEST_F(Spine, UpAgainChangesNothing) {
  auto before = instancesByNode();
  auto again = coral({"up", "--state-dir", *state_dir_});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(instancesByNode(), before);
  EXPECT_EQ(containerCount(), 4);
}

TEST_F(Spine, UpWithAChangedSpecConverges) {
  auto before = instancesByNode();
  const std::string spec = std::filesystem::path(*state_dir_).parent_path() / "four.yaml";
  ASSERT_TRUE(writeText(spec, "workers: 4\n").ok());
  auto grown = coral({"up", "-f", spec, "--state-dir", *state_dir_});
  ASSERT_EQ(grown.exit_code, 0) << grown.out << grown.err;
  auto after = instancesByNode();
  EXPECT_EQ(after.size(), 5u);
  for (const auto& [node, id] : before) EXPECT_EQ(after[node], id) << node << " was replaced";
  EXPECT_EQ(containerCount(), 5);

  auto shrunk = coral({"up", "--state-dir", *state_dir_});
  ASSERT_EQ(shrunk.exit_code, 0) << shrunk.out << shrunk.err;
  EXPECT_EQ(instancesByNode(), before);
  EXPECT_EQ(containerCount(), 4);
}

TEST_F(Spine, ARestartedDaemonAdoptsRunningNodes) {
  auto before = instancesByNode();
  int pid = 0;
  {
    std::ifstream lock(*state_dir_ + "/daemon.lock");
    lock >> pid;
  }
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  // The lock is released when the process is gone.
  for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto again = coral({"up", "--state-dir", *state_dir_});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(instancesByNode(), before);
  EXPECT_EQ(containerCount(), 4);
}

TEST_F(Spine, AWorkerThatDiesIsRelaunched) {
  auto before = instancesByNode();
  docker::DockerClient docker;
  ASSERT_TRUE(docker.killContainer(before["worker-2"]).ok());
  nlohmann::json worker;
  for (int i = 0; i < 600; ++i) {  // up to 60 s
    const auto s = status();
    for (const auto& node : s["nodes"]) {
      if (node["name"] == "worker-2") worker = node;
    }
    if (worker["state"] == "running" && worker["instance"] != before["worker-2"]) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(worker["state"], "running") << worker.dump();
  EXPECT_NE(worker["instance"], before["worker-2"]);
  EXPECT_EQ(worker["generation"], 2);
  EXPECT_EQ(containerCount(), 4);
}

TEST_F(Spine, DownLeavesNothingBehind) {
  auto down = coral({"down", "--state-dir", *state_dir_});
  ASSERT_EQ(down.exit_code, 0) << down.out << down.err;
  EXPECT_FALSE(std::filesystem::exists(*state_dir_));  // IPAM leases and CNI cache live there
  auto after = footprint(kCluster, kSubnetPrefix);
  EXPECT_TRUE(after.containers.empty());
  EXPECT_EQ(after.links, before_->links);
  EXPECT_EQ(after.subnet_routes, before_->subnet_routes);
  // Down may also remove empty CNI skeleton chains that were there before;
  // it must not leave any new one.
  EXPECT_TRUE(std::includes(before_->iptables_chains.begin(), before_->iptables_chains.end(),
                            after.iptables_chains.begin(), after.iptables_chains.end()))
      << "chains left behind";
  EXPECT_EQ(after.iptables_rules_for_subnet, before_->iptables_rules_for_subnet);
  auto api = httpRequest("127.0.0.1", 8888, "GET", "/api", "");
  EXPECT_FALSE(api.ok() && api->status == 200) << "something still answers on 8888";
}

}  // namespace
}  // namespace coral::testing
