#include "local_etcd.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "os/subprocess.h"
#include "policy/etcd_http.h"

namespace coral::policy::testing {
namespace {

// A port the kernel just handed out; etcd binds it right after.
int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

Result<std::unique_ptr<LocalEtcd>> LocalEtcd::start() {
  if (!os::findExecutable("etcd")) {
    return makeError("etcd is not installed (apt-get install etcd-server; scripts/install-deps.sh does)");
  }
  std::unique_ptr<LocalEtcd> etcd(new LocalEtcd());
  char dir[] = "/tmp/coral-etcd-XXXXXX";
  if (::mkdtemp(dir) == nullptr) return makeError("mkdtemp failed");
  etcd->dir_ = dir;
  const std::string client = "http://127.0.0.1:" + std::to_string(freePort());
  const std::string peer = "http://127.0.0.1:" + std::to_string(freePort());
  etcd->process_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
      "etcd", "--name", "coral-test", "--data-dir", etcd->dir_ + "/data", "--listen-client-urls",
      client, "--advertise-client-urls", client, "--listen-peer-urls", peer,
      "--initial-advertise-peer-urls", peer, "--initial-cluster", "coral-test=" + peer});
  etcd->url_ = client;
  etcd::Client probe(client, std::chrono::milliseconds(500));
  for (int i = 0; i < 100; ++i) {
    if (probe.rangePrefix("/").ok()) return etcd;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return makeError("etcd did not answer on " + client + " within 10 s");
}

LocalEtcd::~LocalEtcd() {
  process_.reset();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace coral::policy::testing
