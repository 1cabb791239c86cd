#include "test_topology.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "os/subprocess.h"

namespace coral::policy::testing {
namespace {

constexpr const char* kPython = "/usr/bin/python3";

// Answers "ok" on every port given; one thread per port.
constexpr const char* kListener = R"(
import socket, sys, threading
def serve(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        try:
            c.sendall(b"ok\n")
        finally:
            c.close()
for p in sys.argv[1:]:
    threading.Thread(target=serve, args=(int(p),), daemon=True).start()
threading.Event().wait()
)";

// Exit 0 connected (handshake done), 3 refused, 4 timed out.
constexpr const char* kProbe = R"(
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
    sys.exit(0)
except ConnectionRefusedError:
    sys.exit(3)
except (socket.timeout, TimeoutError):
    sys.exit(4)
except OSError as e:
    print(e)
    sys.exit(5)
)";

constexpr const char* kHttpGet = R"(
import sys, urllib.request
urllib.request.urlopen("http://%s/" % sys.argv[1], timeout=2).read()
)";

void quiet(const std::vector<std::string>& argv) { run(argv); }

Probe probeOf(int code) {
  switch (code) {
    case 0:
      return Probe::Connected;
    case 3:
      return Probe::Refused;
    case 4:
      return Probe::TimedOut;
    default:
      return Probe::OtherError;
  }
}

}  // namespace

int run(const std::vector<std::string>& argv, std::string* out) {
  auto result = os::runProcess(argv);
  if (!result) return -1;
  if (out) *out = result->out;
  return result->exit_code;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv, const std::string& cwd) {
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

ScopedLock::ScopedLock(const std::string& path) {
  fd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd_ >= 0) ::flock(fd_, LOCK_EX);
}

ScopedLock::~ScopedLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

const char* probeName(Probe probe) {
  switch (probe) {
    case Probe::Connected:
      return "connected";
    case Probe::Refused:
      return "refused";
    case Probe::TimedOut:
      return "timed out";
    case Probe::OtherError:
      return "other error";
  }
  return "?";
}

Topology::Topology() {
  nodes_ = {
      {"a", "coralpt-a", "cpt-a", "10.213.77.10", "02:00:0d:4d:77:0a"},
      {"b", "coralpt-b", "cpt-b", "10.213.77.20", "02:00:0d:4d:77:14"},
      {"c", "coralpt-c", "cpt-c", "10.213.77.30", "02:00:0d:4d:77:1e"},
  };
  cleanup();  // leftovers of a run that was killed
  std::ifstream forward("/proc/sys/net/ipv4/ip_forward");
  std::getline(forward, ip_forward_before_);
  char dir[] = "/tmp/coral-policy-www-XXXXXX";
  if (::mkdtemp(dir)) www_dir_ = dir;
  if (!build() && error_.empty()) error_ = "building the topology failed";
}

Topology::~Topology() {
  cleanup();
  if (!ip_forward_before_.empty()) {
    std::ofstream("/proc/sys/net/ipv4/ip_forward") << ip_forward_before_;
  }
  if (!www_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(www_dir_, ec);
  }
}

// Every step tolerates "already gone": this runs before building as well.
void Topology::cleanup() {
  for (const auto& node : nodes_) {
    quiet({"ip", "netns", "del", node.netns});  // takes the veth pair with it
    quiet({"ip", "link", "del", node.host_veth});
  }
  quiet({"ip", "route", "del", "blackhole", kSubnet});
  while (run({"iptables", "-w", "5", "-D", "FORWARD", "-j", kForwardChain}) == 0) {
  }
  quiet({"iptables", "-w", "5", "-F", kForwardChain});
  quiet({"iptables", "-w", "5", "-X", kForwardChain});
  while (run({"iptables", "-w", "5", "-t", "nat", "-D", "PREROUTING", "-j", kDnatChain}) == 0) {
  }
  quiet({"iptables", "-w", "5", "-t", "nat", "-F", kDnatChain});
  quiet({"iptables", "-w", "5", "-t", "nat", "-X", kDnatChain});
}

bool Topology::build() {
  auto step = [&](const std::vector<std::string>& argv) {
    if (!error_.empty()) return false;
    std::string out;
    auto result = os::runProcess(argv);
    if (!result || result->exit_code != 0) {
      std::string cmd;
      for (const auto& arg : argv) cmd += arg + " ";
      error_ = "setup step failed: " + cmd + ": " + (result ? result->err : result.message());
      return false;
    }
    return true;
  };
  // Nothing addressed to the test subnet may leave the machine.
  step({"ip", "route", "add", "blackhole", kSubnet});
  std::ofstream("/proc/sys/net/ipv4/ip_forward") << "1";
  for (const auto& node : nodes_) {
    const std::string peer = node.host_veth + "-ns";
    step({"ip", "netns", "add", node.netns});
    step({"ip", "link", "add", node.host_veth, "type", "veth", "peer", "name", peer});
    step({"ip", "link", "set", peer, "netns", node.netns});
    step({"ip", "-n", node.netns, "link", "set", peer, "name", "eth0"});
    step({"ip", "-n", node.netns, "link", "set", "eth0", "address", node.mac});
    step({"ip", "-n", node.netns, "addr", "add", node.ip + "/32", "dev", "eth0"});
    step({"ip", "-n", node.netns, "link", "set", "eth0", "up"});
    step({"ip", "-n", node.netns, "link", "set", "lo", "up"});
    step({"ip", "-n", node.netns, "route", "add", kGateway, "dev", "eth0", "scope", "link"});
    step({"ip", "-n", node.netns, "route", "add", "default", "via", kGateway, "dev", "eth0"});
    // ptp style: the host side holds the gateway address, one /32 route per node.
    step({"ip", "addr", "add", std::string(kGateway) + "/32", "dev", node.host_veth});
    step({"ip", "link", "set", node.host_veth, "up"});
    step({"ip", "route", "add", node.ip + "/32", "dev", node.host_veth, "scope", "link"});
  }
  // dockerd sets the FORWARD policy to DROP; let the subnet through, after
  // (below) whatever Coral inserts at the top.
  step({"iptables", "-w", "5", "-N", kForwardChain});
  step({"iptables", "-w", "5", "-A", kForwardChain, "-s", kSubnet, "-j", "ACCEPT"});
  step({"iptables", "-w", "5", "-A", kForwardChain, "-d", kSubnet, "-j", "ACCEPT"});
  step({"iptables", "-w", "5", "-A", "FORWARD", "-j", kForwardChain});
  step({"iptables", "-w", "5", "-t", "nat", "-N", kDnatChain});
  step({"iptables", "-w", "5", "-t", "nat", "-A", "PREROUTING", "-j", kDnatChain});
  if (!error_.empty()) return false;
  // Routing works before any test relies on it.
  for (const auto& from : nodes_) {
    for (const auto& to : nodes_) {
      if (from.name != to.name && !ping(from, to.ip)) {
        error_ = "baseline ping " + from.name + " -> " + to.name + " failed";
        return false;
      }
    }
  }
  return true;
}

const TestNode& Topology::node(const std::string& name) const {
  for (const auto& node : nodes_) {
    if (node.name == name) return node;
  }
  return nodes_.front();
}

bool Topology::publish(int host_port, const TestNode& target, int port) {
  return run({"iptables", "-w", "5", "-t", "nat", "-A", kDnatChain, "-d", kGateway, "-p", "tcp",
              "--dport", std::to_string(host_port), "-j", "DNAT", "--to-destination",
              target.ip + ":" + std::to_string(port)}) == 0;
}

bool Topology::waitListening(const TestNode& node, int port) {
  for (int i = 0; i < 100; ++i) {
    // From inside the node itself: never passes the host's firewall.
    if (run({"ip", "netns", "exec", node.netns, kPython, "-c", kProbe, "127.0.0.1",
             std::to_string(port), "0.5"}) == 0) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::unique_ptr<BackgroundProcess> Topology::listen(const TestNode& node,
                                                    const std::vector<int>& ports) {
  std::vector<std::string> argv = {"ip", "netns", "exec", node.netns, kPython, "-c", kListener};
  for (int port : ports) argv.push_back(std::to_string(port));
  auto process = std::make_unique<BackgroundProcess>(argv);
  for (int port : ports) {
    if (!waitListening(node, port)) return nullptr;
  }
  return process;
}

std::unique_ptr<BackgroundProcess> Topology::httpServer(const TestNode& node) {
  std::ofstream(www_dir_ + "/index.html") << "coral policy test\n";
  auto process = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{"ip", "netns", "exec", node.netns, kPython, "-m", "http.server",
                               "80"},
      www_dir_);
  if (!waitListening(node, 80)) return nullptr;
  return process;
}

Probe Topology::tcp(const TestNode& from, const std::string& ip, int port, double timeout_s) const {
  return probeOf(run({"ip", "netns", "exec", from.netns, kPython, "-c", kProbe, ip,
                      std::to_string(port), std::to_string(timeout_s)}));
}

Probe Topology::tcpFromHost(const std::string& ip, int port, double timeout_s) const {
  return probeOf(run({kPython, "-c", kProbe, ip, std::to_string(port), std::to_string(timeout_s)}));
}

bool Topology::http(const TestNode& from, const std::string& ip) const {
  return run({"ip", "netns", "exec", from.netns, kPython, "-c", kHttpGet, ip}) == 0;
}

bool Topology::ping(const TestNode& from, const std::string& ip) const {
  return run({"ip", "netns", "exec", from.netns, "ping", "-c", "1", "-W", "1", "-q", ip}) == 0;
}

bool Topology::setMac(const TestNode& node, const std::string& mac) {
  bool ok = run({"ip", "-n", node.netns, "link", "set", "eth0", "address", mac}) == 0;
  // Both neighbour caches still hold the old address for this node.
  quiet({"ip", "neigh", "flush", "dev", node.host_veth});
  quiet({"ip", "-n", node.netns, "neigh", "flush", "dev", "eth0"});
  return ok;
}

std::string iptablesSave(const std::string& table) {
  std::string out;
  run({"iptables-save", "-t", table}, &out);
  std::istringstream in(out);
  std::string result;
  static const std::regex kCounters(R"( \[\d+:\d+\]$)");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#", 0) == 0) continue;
    result += std::regex_replace(line, kCounters, "") + "\n";
  }
  return result;
}

}  // namespace coral::policy::testing
