// The local backend on real Docker and real CNI plugins: a node killed while
// it launches is removed by its own launch thread and reported gone, not
// failed, and leaves no container, IPAM lease or iptables rule behind (a DEL
// racing the launch's CNI ADD used to leave the firewall plugin's rules).
// Traffic: only to the node's own address (the subnet is blackholed).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>

#include <boost/asio/io_context.hpp>

#include "../cni/test_support.h"
#include "core/desired_state.h"
#include "local/local_backend.h"
#include "network/attacher.h"
#include "network/blackhole_route.h"
#include "network/calico_network.h"
#include "network/iptables_exec.h"
#include "os/subprocess.h"

namespace coral::local {
namespace {

using namespace std::chrono_literals;

constexpr const char* kCluster = "lbtest";
constexpr const char* kSubnet = "10.213.60.0/24";

// What the backend tells the scheduler.
struct Recorder : core::SchedulerEvents {
  std::vector<core::Instance> instances;
  std::vector<std::string> gone;
  std::vector<std::string> failed;
  void onOffers(std::vector<core::Offer>) override {}
  void onOfferRescinded(const std::string&) override {}
  void onInstance(const core::Instance& instance) override { instances.push_back(instance); }
  void onInstanceGone(const std::string& id) override { gone.push_back(id); }
  void onLaunchFailed(const std::string& node, int, const std::string& message) override {
    failed.push_back(node + ": " + message);
  }
};

std::string clusterContainers() {
  auto listed = os::runProcess(
      {"docker", "ps", "-aq", "--filter", std::string("label=") + core::kLabelCluster + "=" + kCluster});
  return listed ? listed->out : "docker ps failed";
}

class LocalBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "needs root (Docker, CNI, iptables)";
    options_.config_dir = dir_.sub("net.d");  // the generated ptp network
    options_.plugin_dirs = cni::defaultPluginDirs();
    network::NetworkSettings settings;
    settings.subnet = kSubnet;
    auto resolved = network::resolveNetwork(settings, dir_.sub("state"), options_);
    ASSERT_TRUE(resolved) << resolved.message();
    network_ = *resolved;
    // As the daemon does: addresses of the subnet never leave this machine,
    // not even once their container is gone.
    ASSERT_TRUE(network::addBlackholeRoute(kSubnet));
    blackholed_ = true;
    attacher_ = std::make_unique<network::Attacher>(options_, dir_.sub("state"));
    backend_ = std::make_unique<LocalBackend>(loop_, *attacher_,
                                              LocalBackendOptions{kCluster, network_});
    backend_->start(events_);
  }

  void TearDown() override {
    if (backend_) backend_->stop();
    if (blackholed_) (void)network::removeBlackholeRoute(kSubnet);
    const std::string left = clusterContainers();
    if (!left.empty()) {
      std::vector<std::string> rm{"docker", "rm", "-f"};
      for (std::size_t at = 0, end; (end = left.find('\n', at)) != std::string::npos; at = end + 1)
        rm.push_back(left.substr(at, end - at));
      (void)os::runProcess(rm);
    }
  }

  // Runs the daemon's loop until `done` holds or `timeout` passes.
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      loop_.restart();
      loop_.run_for(20ms);
    }
    return true;
  }

  // A node whose readiness never comes: coral/base has no sshd.
  static core::LaunchRequest neverReady() {
    core::LaunchRequest request;
    request.node.name = "worker-1";
    request.node.hostname = std::string(kCluster) + "-1";
    request.node.image = "coral/base:latest";
    request.node.command = {"sleep", "3600"};
    request.node.cpus = 0.1;
    request.node.mem_mb = 64;
    request.node.labels = {{core::kLabelCluster, kCluster}, {core::kLabelNode, "worker-1"}};
    request.node.spec_hash = "test";
    return request;
  }

  coral::testing::TempDir dir_;
  boost::asio::io_context loop_;
  network::Options options_;
  network::CalicoNetwork network_;
  std::unique_ptr<network::Attacher> attacher_;
  Recorder events_;
  std::unique_ptr<LocalBackend> backend_;
  bool blackholed_ = false;
};

TEST_F(LocalBackendTest, ANodeKilledWhileItStartsIsGoneNotFailedAndLeavesNothing) {
  backend_->launch(core::Offer{}, {neverReady()});
  auto starting = [&]() -> const core::Instance* {
    for (const auto& instance : events_.instances)
      if (instance.phase == core::Phase::Starting && !instance.ip.empty()) return &instance;
    return nullptr;
  };
  ASSERT_TRUE(runUntil([&] { return starting() != nullptr || !events_.failed.empty(); }, 60s))
      << "the node never reached `starting`";
  ASSERT_TRUE(events_.failed.empty()) << events_.failed.front();
  const core::Instance instance = *starting();
  auto rules = network::listIptablesRules("filter");
  ASSERT_TRUE(rules);
  ASSERT_NE(rules->find(instance.ip + "/32"), std::string::npos) << "the attachment's rules exist";

  // Waiting for sshd takes up to 30 s; a kill must not wait for that.
  const auto killed_at = std::chrono::steady_clock::now();
  backend_->kill(instance);
  ASSERT_TRUE(runUntil([&] { return !events_.gone.empty(); }, 60s));
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, 15s);
  EXPECT_EQ(events_.gone, std::vector<std::string>{instance.id});
  EXPECT_TRUE(events_.failed.empty()) << events_.failed.front();
  for (const auto& later : events_.instances) {
    EXPECT_NE(later.phase, core::Phase::Running) << "reported running after its kill";
    EXPECT_NE(later.phase, core::Phase::Failed) << later.message;
  }

  // The kill ended the launch too: nothing of it still runs on the workers
  // (stop() joins them; a launch left alone waits 30 s for sshd).
  const auto stop_began = std::chrono::steady_clock::now();
  backend_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_began, 10s) << "the launch kept running";
  loop_.restart();
  loop_.poll();
  EXPECT_TRUE(events_.failed.empty()) << events_.failed.front();

  EXPECT_EQ(clusterContainers(), "");
  rules = network::listIptablesRules("filter");
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->find(instance.ip + "/32"), std::string::npos) << *rules;
  EXPECT_FALSE(std::filesystem::exists(dir_.sub("state/cni/ipam/calico/" + instance.ip)));
}

}  // namespace
}  // namespace coral::local
