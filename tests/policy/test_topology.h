// Test-only helpers for the policy integration tests: a routed topology of
// network namespaces built exactly like the cluster's `calico` network (ptp:
// a veth per node, a /32 inside, a /32 host route, the gateway address on
// the host side), background servers inside namespaces, and traffic probes.
// Everything is torn down by destructors, also when a test fails.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace coral::policy::testing {

// Runs a command, returns its exit code (-1 when it could not start).
int run(const std::vector<std::string>& argv, std::string* out = nullptr);

// A process (and its process group) killed on destruction.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv, const std::string& cwd = "/");
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// Serialises the integration tests that build the topology (ctest may run
// them in parallel; they share names and the subnet).
class ScopedLock {
 public:
  explicit ScopedLock(const std::string& path);
  ~ScopedLock();

 private:
  int fd_ = -1;
};

struct TestNode {
  std::string name;       // "a", "b", "c"
  std::string netns;      // coralpt-a
  std::string host_veth;  // cpt-a
  std::string ip;         // 10.213.77.10
  std::string mac;        // eth0's MAC inside the namespace
};

enum class Probe { Connected, Refused, TimedOut, OtherError };
const char* probeName(Probe probe);

class Topology {
 public:
  static constexpr const char* kGateway = "10.213.77.1";
  static constexpr const char* kSubnet = "10.213.77.0/24";
  static constexpr const char* kForwardChain =
      "CORALPT-ACCEPT";  // filter: lets the subnet through FORWARD
  static constexpr const char* kDnatChain = "CORALPT-DNAT";  // nat: the published test port

  Topology();   // builds A, B, C; check ok() / error()
  ~Topology();  // removes everything it may have created
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  const TestNode& node(const std::string& name) const;

  // Publishes gateway:host_port -> target:port like a port mapper (DNAT).
  bool publish(int host_port, const TestNode& target, int port);

  // Starts a TCP listener answering "ok" on each port inside the node.
  std::unique_ptr<BackgroundProcess> listen(const TestNode& node, const std::vector<int>& ports);
  // `python3 -m http.server 80` inside the node.
  std::unique_ptr<BackgroundProcess> httpServer(const TestNode& node);

  Probe tcp(const TestNode& from, const std::string& ip, int port, double timeout_s = 1.5) const;
  Probe tcpFromHost(const std::string& ip, int port, double timeout_s = 1.5) const;
  bool http(const TestNode& from, const std::string& ip) const;
  bool ping(const TestNode& from, const std::string& ip) const;

  bool setMac(const TestNode& node, const std::string& mac);

 private:
  void cleanup();
  bool build();
  bool waitListening(const TestNode& node, int port);

  std::vector<TestNode> nodes_;
  std::string error_;
  std::string ip_forward_before_;
  std::string www_dir_;
};

// `iptables-save -t <table>` without comments and counters.
std::string iptablesSave(const std::string& table = "filter");

}  // namespace coral::policy::testing
