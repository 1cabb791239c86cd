// Integration tests with the real plugins from /usr/lib/cni: need root, the
// Debian packages containernetworking-plugins, iproute2, iptables,
// iputils-ping and curl. Traffic only goes to loopback and to addresses in
// namespaces created here; everything created is removed in TearDown.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../cni/test_support.h"
#include "cni/attachment_cache.h"
#include "network/attacher.h"
#include "network/blackhole_route.h"
#include "network/calico_network.h"
#include "network/cni_chains.h"
#include "network/egress_guard.h"
#include "network/host_port_access.h"
#include "network/iptables_exec.h"
#include "network/ipv4.h"
#include "network/port_holder.h"
#include "network/subnet_check.h"
#include "os/subprocess.h"

namespace coral::network {
namespace {

using namespace std::chrono_literals;
using coral::testing::TempDir;

constexpr int kHostPort = 18888;
constexpr int kContainerPort = 8080;

// Polls `condition` until it holds or `timeout` passes: for things that
// become true asynchronously (a process entering a netns, a server binding).
bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

int run(const std::vector<std::string>& argv) {
  auto out = os::runProcess(argv);
  return out ? out->exit_code : -1;
}

std::string runOut(const std::vector<std::string>& argv) {
  auto out = os::runProcess(argv);
  return out && out->exit_code == 0 ? out->out : "";
}

pid_t spawn(const std::vector<std::string>& argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

void stop(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

std::string identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  return fmt::format("{}:{}", st.st_dev, st.st_ino);
}

std::set<std::string> cniChains() {
  std::set<std::string> chains;
  for (const char* table : {"filter", "nat"}) {
    auto listing = listIptablesRules(table);
    if (!listing) continue;
    for (const auto& chain : parseIptablesRules(*listing).user_chains) {
      if (chain.rfind("CNI-", 0) == 0 || chain.rfind("CORAL-", 0) == 0) {
        chains.insert(std::string(table) + "/" + chain);
      }
    }
  }
  return chains;
}

std::string tableRules(const char* table) {
  auto listing = listIptablesRules(table);
  EXPECT_TRUE(listing.ok()) << listing.message();
  return listing.ok() ? *listing : "";
}

// Sends a GET to ip:port over TCP; returns the start of the reply ("" on failure).
std::string httpGet(const std::string& ip, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET /marker.txt HTTP/1.0\r\nHost: test\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t n;
      while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) reply.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return reply;
}

class NetworkIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the network integration tests need root (netns, veth, iptables)";
    for (const char* tool : {"ip", "iptables", "iptables-restore", "ping", "curl"}) {
      ASSERT_TRUE(os::findExecutable(tool).has_value())
          << tool << " is missing: apt-get install iproute2 iptables iputils-ping curl";
    }
    ASSERT_EQ(::access("/usr/bin/python3", X_OK), 0) << "apt-get install python3";
    // These tests share host state (iptables skeleton chains, port 18888):
    // run them one at a time even under `ctest -j`.
    lock_fd_ = ::open("/run/lock/coral-network-integration.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    ASSERT_GE(lock_fd_, 0);
    ASSERT_EQ(::flock(lock_fd_, LOCK_EX), 0);

    chains_before_ = cniChains();
    const int n = 100 + ::getpid() % 50;
    subnet_ = fmt::format("10.213.{}.0/24", n);
    client_net_ = fmt::format("10.213.{}", n + 100);
    prefix_ = fmt::format("coral-test-{}", ::getpid());
    options_.config_dir = dir_.sub("net.d");  // no Calico here: the ptp network is under test
    options_.plugin_dirs = cni::defaultPluginDirs();
    settings_.subnet = subnet_;
    state_dir_ = dir_.sub("state");
  }

  void TearDown() override {
    for (auto it = cleanups_.rbegin(); it != cleanups_.rend(); ++it) (*it)();
    cleanups_.clear();
    // Whatever a failed test left in the skeleton chains goes too.
    (void)removeEmptyCniChains();
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  void onTearDown(std::function<void()> cleanup) { cleanups_.push_back(std::move(cleanup)); }

  // A named netns with a process inside it standing in for a container.
  struct Sandbox {
    std::string netns;
    pid_t pid = -1;
  };
  Sandbox makeSandbox(const std::string& suffix) {
    Sandbox box;
    box.netns = prefix_ + "-" + suffix;
    EXPECT_EQ(run({"ip", "netns", "add", box.netns}), 0) << box.netns;
    onTearDown([name = box.netns] { run({"ip", "netns", "del", name}); });
    run({"ip", "netns", "exec", box.netns, "ip", "link", "set", "lo", "up"});
    box.pid = spawn({"ip", "netns", "exec", box.netns, "sleep", "3600"});
    onTearDown([pid = box.pid] { stop(pid); });
    const std::string want = identity("/run/netns/" + box.netns);
    EXPECT_TRUE(waitFor([&] { return identity(fmt::format("/proc/{}/ns/net", box.pid)) == want; }))
        << "sleeper never entered " << box.netns;
    return box;
  }

  // A process in a fresh anonymous netns: the netns dies with the process,
  // like a container's.
  pid_t makeContainerProcess() {
    pid_t pid = spawn({"unshare", "--net", "sleep", "3600"});
    onTearDown([pid] { stop(pid); });
    const std::string host = identity("/proc/self/ns/net");
    EXPECT_TRUE(waitFor([&] {
      auto id = identity(fmt::format("/proc/{}/ns/net", pid));
      return !id.empty() && id != host && runOut({"cat", fmt::format("/proc/{}/comm", pid)}) == "sleep\n";
    }));
    return pid;
  }

  // Another "machine": a netns behind its own veth pair, outside the subnet,
  // routed through this host. Returns the netns name.
  std::string makeRemoteMachine() {
    const std::string ns = prefix_ + "-remote";
    const std::string host_if = fmt::format("crl{}h", ::getpid()), remote_if = fmt::format("crl{}c", ::getpid());
    EXPECT_EQ(run({"ip", "netns", "add", ns}), 0);
    onTearDown([ns] { run({"ip", "netns", "del", ns}); });
    EXPECT_EQ(run({"ip", "link", "add", host_if, "type", "veth", "peer", "name", remote_if, "netns", ns}), 0);
    onTearDown([host_if] { run({"ip", "link", "del", host_if}); });
    EXPECT_EQ(run({"ip", "addr", "add", remoteGateway() + "/30", "dev", host_if}), 0);
    EXPECT_EQ(run({"ip", "link", "set", host_if, "up"}), 0);
    EXPECT_EQ(run({"ip", "netns", "exec", ns, "ip", "addr", "add", remoteAddress() + "/30", "dev", remote_if}), 0);
    EXPECT_EQ(run({"ip", "netns", "exec", ns, "ip", "link", "set", remote_if, "up"}), 0);
    EXPECT_EQ(run({"ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"}), 0);
    EXPECT_EQ(run({"ip", "netns", "exec", ns, "ip", "route", "add", "default", "via", remoteGateway()}), 0);
    return ns;
  }
  std::string remoteGateway() const { return client_net_ + ".1"; }  // this host's end
  std::string remoteAddress() const { return client_net_ + ".2"; }

  CalicoNetwork resolve() {
    auto net = resolveNetwork(settings_, state_dir_, options_);
    EXPECT_TRUE(net.ok()) << net.message();
    return net.ok() ? *net : CalicoNetwork{};
  }

  Attachment attach(Attacher& attacher, const CalicoNetwork& net, const std::string& id, pid_t pid,
                    const std::vector<cni::PortMapping>& ports = {}) {
    // A copy: the test's Attacher is gone by the time TearDown runs.
    onTearDown([copy = attacher, net, id]() mutable { (void)copy.detach(net, id); });
    auto attached = attacher.attach(net, id, pid, ports);
    EXPECT_TRUE(attached.ok()) << attached.message();
    return attached.ok() ? *attached : Attachment{};
  }

  std::string leaseFile(const std::string& ip) { return state_dir_ + "/cni/ipam/calico/" + ip; }

  bool hostRouteTo(const std::string& ip, const std::string& dev) {
    auto routes = nlohmann::json::parse(runOut({"ip", "-j", "-4", "route", "show", "exact", ip + "/32"}), nullptr, false);
    if (!routes.is_array()) return false;
    for (const auto& r : routes) {
      if (r.value("dev", "") == dev) return true;
    }
    return false;
  }

  bool linkExists(const std::string& dev) { return run({"ip", "link", "show", "dev", dev}) == 0; }

  bool hasBlackhole() {
    return runOut({"ip", "-4", "route", "show", "exact", subnet_}).find("blackhole") != std::string::npos;
  }

  TempDir dir_;
  int lock_fd_ = -1;
  std::vector<std::function<void()>> cleanups_;
  std::set<std::string> chains_before_;
  std::string subnet_, client_net_, prefix_, state_dir_;
  NetworkSettings settings_;
  Options options_;
};

TEST_F(NetworkIntegration, TwoContainersTalkPortMapWorksAndEverythingIsRemoved) {
  ASSERT_TRUE(checkSubnetFree(subnet_).ok()) << checkSubnetFree(subnet_).message();
  ASSERT_FALSE(describePortHolder(kHostPort).has_value())
      << "host port " << kHostPort << " is taken by " << *describePortHolder(kHostPort);

  CalicoNetwork net = resolve();
  ASSERT_EQ(net.plugin, Plugin::Ptp);
  auto prefix = *parseIpv4Prefix(subnet_, true);

  onTearDown([this] { (void)removeBlackholeRoute(subnet_); });
  ASSERT_TRUE(addBlackholeRoute(subnet_).ok());
  ASSERT_TRUE(addBlackholeRoute(subnet_).ok()) << "adding twice must be fine";
  EXPECT_TRUE(hasBlackhole());
  EXPECT_TRUE(checkSubnetFree(subnet_).ok()) << "our own blackhole is not an overlap";

  Sandbox a = makeSandbox("a");
  Sandbox b = makeSandbox("b");
  Attacher attacher(options_, state_dir_);
  const std::string id_a = prefix_ + "-a", id_b = prefix_ + "-b";
  Attachment att_a = attach(attacher, net, id_a, a.pid, {{kHostPort, kContainerPort, "tcp", ""}});
  Attachment att_b = attach(attacher, net, id_b, b.pid);
  ASSERT_FALSE(att_a.ip.empty());
  ASSERT_FALSE(att_b.ip.empty());

  // Addresses in the subnet, a /32 host route over each host veth, the MAC
  // reported is the one inside the namespace, leases recorded.
  for (const auto* att : {&att_a, &att_b}) {
    EXPECT_TRUE(prefix.contains(*parseIpv4(att->ip))) << att->ip << " not in " << subnet_;
    EXPECT_NE(att->ip, net.gateway);
    EXPECT_TRUE(linkExists(att->host_veth)) << att->host_veth;
    EXPECT_TRUE(hostRouteTo(att->ip, att->host_veth)) << att->ip << " via " << att->host_veth;
    EXPECT_TRUE(coral::testing::exists(leaseFile(att->ip)));
  }
  auto inside = nlohmann::json::parse(runOut({"ip", "netns", "exec", a.netns, "ip", "-j", "link", "show", "eth0"}));
  EXPECT_EQ(inside[0]["address"], att_a.mac);
  EXPECT_TRUE(checkSubnetFree(subnet_).ok()) << "our own container routes are not overlaps: "
                                             << checkSubnetFree(subnet_).message();
  EXPECT_EQ(attacher.attachedContainers(net), (std::vector<std::string>{id_a, id_b}));

  // Container to container, both ways, through the host's routes and FORWARD.
  EXPECT_EQ(run({"ip", "netns", "exec", a.netns, "ping", "-c1", "-W2", att_b.ip}), 0);
  EXPECT_EQ(run({"ip", "netns", "exec", b.netns, "ping", "-c1", "-W2", att_a.ip}), 0);
  EXPECT_TRUE(attacher.check(net, id_a).ok()) << attacher.check(net, id_a).message();
  EXPECT_TRUE(attacher.check(net, id_b).ok()) << attacher.check(net, id_b).message();

  // Port mapping: a server in A answers on the host's 127.0.0.1:18888.
  coral::testing::writeFile(dir_.sub("www/marker.txt"), "coral-marker\n");
  pid_t server = spawn({"ip", "netns", "exec", a.netns, "/usr/bin/python3", "-m", "http.server",
                        std::to_string(kContainerPort), "--bind", "0.0.0.0", "--directory", dir_.sub("www")});
  onTearDown([server] { stop(server); });
  ASSERT_TRUE(waitFor([&] { return httpGet(att_a.ip, kContainerPort).find("coral-marker") != std::string::npos; }))
      << "http.server in " << a.netns << " never answered on " << att_a.ip << ":" << kContainerPort;
  std::string reply = httpGet("127.0.0.1", kHostPort);
  EXPECT_NE(reply.find("200"), std::string::npos) << reply;
  EXPECT_NE(reply.find("coral-marker"), std::string::npos) << reply;
  EXPECT_NE(tableRules("filter").find("coral:calico:" + id_a), std::string::npos);
  auto holder = describePortHolder(kHostPort);
  ASSERT_TRUE(holder.has_value());
  EXPECT_NE(holder->find("DNAT"), std::string::npos) << *holder;
  EXPECT_NE(holder->find(att_a.ip + ":" + std::to_string(kContainerPort)), std::string::npos) << *holder;

  // A client on another "machine" reaches the mapped port too: through
  // PREROUTING DNAT and FORWARD (policy DROP).
  const std::string client_ns = makeRemoteMachine();
  auto remote = os::runProcess({"ip", "netns", "exec", client_ns, "curl", "-sS", "-m", "5",
                                fmt::format("http://{}:{}/marker.txt", remoteGateway(), kHostPort)});
  ASSERT_TRUE(remote.ok());
  EXPECT_EQ(remote->exit_code, 0) << remote->err;
  EXPECT_EQ(remote->out, "coral-marker\n");

  // CHECK notices a broken attachment.
  ASSERT_EQ(run({"ip", "netns", "exec", b.netns, "ip", "route", "del", "default"}), 0);
  EXPECT_FALSE(attacher.check(net, id_b).ok()) << "CHECK must fail without B's default route";

  // Detach: veth, host route, lease, cache and our FORWARD rule go.
  stop(server);
  ASSERT_TRUE(attacher.detach(net, id_a).ok());
  ASSERT_TRUE(attacher.detach(net, id_b).ok());
  for (const auto* att : {&att_a, &att_b}) {
    EXPECT_FALSE(linkExists(att->host_veth)) << att->host_veth;
    EXPECT_FALSE(hostRouteTo(att->ip, att->host_veth)) << att->ip;
    EXPECT_FALSE(coral::testing::exists(leaseFile(att->ip))) << leaseFile(att->ip);
  }
  EXPECT_TRUE(attacher.attachedContainers(net).empty());
  EXPECT_EQ(tableRules("filter").find(id_a), std::string::npos);
  EXPECT_FALSE(describePortHolder(kHostPort).has_value());
  EXPECT_TRUE(attacher.detach(net, id_a).ok()) << "detaching twice must be fine";

  ASSERT_TRUE(removeBlackholeRoute(subnet_).ok());
  EXPECT_FALSE(hasBlackhole());
  EXPECT_TRUE(removeBlackholeRoute(subnet_).ok()) << "removing twice must be fine";

  ASSERT_TRUE(removeEmptyCniChains().ok()) << removeEmptyCniChains().message();
  for (const auto& chain : cniChains()) {
    EXPECT_TRUE(chains_before_.count(chain)) << chain << " was left behind";
  }
}

// Nodes answer clients on other machines, and talk to each other and to this
// host, but cannot open connections to other machines.
TEST_F(NetworkIntegration, EgressGuardKeepsNewConnectionsOnThisMachine) {
  CalicoNetwork net = resolve();
  // As the daemon does: the guard first, then the attachments. The first
  // attachment on a host inserts the CNI firewall plugin's jump (which
  // accepts everything from the containers) above it; the attacher moves it up.
  onTearDown([this] { (void)removeEgressGuard(subnet_); });
  ASSERT_TRUE(addEgressGuard(subnet_).ok());
  ASSERT_TRUE(addEgressGuard(subnet_).ok()) << "adding twice must be fine";
  Sandbox a = makeSandbox("ga");
  Sandbox b = makeSandbox("gb");
  Attacher attacher(options_, state_dir_);
  Attachment att_a = attach(attacher, net, prefix_ + "-ga", a.pid, {{kHostPort, kContainerPort, "tcp", ""}});
  Attachment att_b = attach(attacher, net, prefix_ + "-gb", b.pid);
  ASSERT_FALSE(att_a.ip.empty());
  ASSERT_FALSE(att_b.ip.empty());
  const std::string remote_ns = makeRemoteMachine();

  coral::testing::writeFile(dir_.sub("www/marker.txt"), "coral-marker\n");
  auto serve = [&](const std::string& netns) {
    pid_t pid = spawn({"ip", "netns", "exec", netns, "/usr/bin/python3", "-m", "http.server",
                       std::to_string(kContainerPort), "--bind", "0.0.0.0", "--directory", dir_.sub("www")});
    onTearDown([pid] { stop(pid); });
  };
  serve(a.netns);
  serve(remote_ns);
  // curl from `netns` to ip:port: its exit code (7 = could not connect) and how long it took.
  auto fetch = [](const std::string& netns, const std::string& ip, int port) {
    const auto began = std::chrono::steady_clock::now();
    auto out = os::runProcess({"ip", "netns", "exec", netns, "curl", "-sS", "-o", "/dev/null", "-m", "5",
                               fmt::format("http://{}:{}/marker.txt", ip, port)});
    return std::make_pair(out ? out->exit_code : -1, std::chrono::steady_clock::now() - began);
  };
  ASSERT_TRUE(waitFor([&] { return fetch(remote_ns, remoteAddress(), kContainerPort).first == 0; }));
  ASSERT_TRUE(waitFor([&] { return fetch(a.netns, att_a.ip, kContainerPort).first == 0; }));

  auto [refused, took] = fetch(a.netns, remoteAddress(), kContainerPort);
  EXPECT_EQ(refused, 7) << "a node opened a connection to another machine";
  EXPECT_LT(took, 2s) << "rejected, not left to time out";
  // The other machine still reaches the node's published port, and the node answers.
  EXPECT_EQ(fetch(remote_ns, remoteGateway(), kHostPort).first, 0);
  // Nodes reach each other and this host.
  EXPECT_EQ(run({"ip", "netns", "exec", b.netns, "ping", "-c1", "-W2", att_a.ip}), 0);
  EXPECT_EQ(run({"ip", "netns", "exec", b.netns, "ping", "-c1", "-W2", net.gateway}), 0);

  // Without the guard the node gets through: it was the guard that stopped it.
  ASSERT_TRUE(removeEgressGuard(subnet_).ok());
  EXPECT_TRUE(removeEgressGuard(subnet_).ok()) << "removing twice must be fine";
  EXPECT_EQ(tableRules("filter").find(subnet_ + " stays on this machine"), std::string::npos);
  EXPECT_EQ(fetch(a.netns, remoteAddress(), kContainerPort).first, 0);
}

TEST_F(NetworkIntegration, DetachIsCleanWhenTheContainerIsAlreadyGone) {
  CalicoNetwork net = resolve();
  Attacher attacher(options_, state_dir_);
  pid_t pid = makeContainerProcess();
  const std::string id = prefix_ + "-gone";
  Attachment att = attach(attacher, net, id, pid, {{kHostPort, kContainerPort, "tcp", ""}});
  ASSERT_FALSE(att.ip.empty());
  ASSERT_TRUE(linkExists(att.host_veth));
  ASSERT_NE(tableRules("filter").find(att.ip + "/32"), std::string::npos) << "firewall rules expected";

  stop(pid);  // the container exits: its netns and the veth pair go with it
  ASSERT_TRUE(waitFor([&] { return !linkExists(att.host_veth); }));
  auto detached = attacher.detach(net, id);
  ASSERT_TRUE(detached.ok()) << detached.message();
  EXPECT_FALSE(coral::testing::exists(leaseFile(att.ip)));
  EXPECT_FALSE(hostRouteTo(att.ip, att.host_veth));
  EXPECT_TRUE(attacher.attachedContainers(net).empty());
  EXPECT_EQ(tableRules("filter").find(att.ip + "/32"), std::string::npos);
  EXPECT_FALSE(describePortHolder(kHostPort).has_value());
}

// The daemon died between the plugins' ADD and the cache write: DEL finds
// the address in host-local's lease, so the firewall plugin's rules go too.
TEST_F(NetworkIntegration, DetachWithoutACachedResultStillRemovesTheFirewallRules) {
  CalicoNetwork net = resolve();
  Attacher attacher(options_, state_dir_);
  pid_t pid = makeContainerProcess();
  const std::string id = prefix_ + "-uncached";
  Attachment att = attach(attacher, net, id, pid);
  ASSERT_FALSE(att.ip.empty());
  ASSERT_NE(tableRules("filter").find("-s " + att.ip + "/32"), std::string::npos) << "firewall rules expected";
  ASSERT_TRUE(cni::removeCacheRecord(cniCacheDir(state_dir_), net.name, id, "eth0").ok());

  ASSERT_TRUE(attacher.detach(net, id).ok());
  EXPECT_EQ(tableRules("filter").find(att.ip + "/32"), std::string::npos) << tableRules("filter");
  EXPECT_FALSE(coral::testing::exists(leaseFile(att.ip)));
  // Without the recorded netns the veth goes with the container, as `docker rm` does.
  stop(pid);
  EXPECT_TRUE(waitFor([&] { return !linkExists(att.host_veth); }));
  EXPECT_FALSE(hostRouteTo(att.ip, att.host_veth));
}

TEST_F(NetworkIntegration, ReattachAfterARestartReplacesTheOldAttachment) {
  CalicoNetwork net = resolve();
  Attacher attacher(options_, state_dir_);
  const std::string id = prefix_ + "-restart";
  pid_t first = makeContainerProcess();
  Attachment before = attach(attacher, net, id, first);
  ASSERT_FALSE(before.ip.empty());
  stop(first);  // `docker restart` gives the container a new netns
  pid_t second = makeContainerProcess();
  Attachment after = attach(attacher, net, id, second);
  ASSERT_FALSE(after.ip.empty());
  EXPECT_TRUE(linkExists(after.host_veth));
  EXPECT_TRUE(hostRouteTo(after.ip, after.host_veth));
  EXPECT_TRUE(attacher.check(net, id).ok()) << attacher.check(net, id).message();
  // Only one lease is held: the old one was released by the DEL before ADD.
  size_t leases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(state_dir_ + "/cni/ipam/calico")) {
    if (parseIpv4(entry.path().filename().string())) ++leases;
  }
  EXPECT_EQ(leases, 1u);
  ASSERT_TRUE(attacher.detach(net, id).ok());
}

TEST_F(NetworkIntegration, AttachRefusesAProcessThatIsGone) {
  CalicoNetwork net = resolve();
  Attacher attacher(options_, state_dir_);
  pid_t pid = makeContainerProcess();
  stop(pid);
  auto attached = attacher.attach(net, prefix_ + "-dead", pid, {});
  ASSERT_FALSE(attached.ok());
  EXPECT_NE(attached.message().find("has exited"), std::string::npos) << attached.message();
  EXPECT_FALSE(attacher.attach(net, prefix_ + "-self", ::getpid(), {}).ok());
}

}  // namespace
}  // namespace coral::network
