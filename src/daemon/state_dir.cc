#include "daemon/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "os/atomic_file.h"

namespace coral::daemon {

Status StateDir::create() const {
  if (auto made = os::makeDirectories(root_, 0700); !made) return made;
  if (auto made = os::makeDirectories(shareDir(), 0755); !made) return made;
  return os::makeDirectories(notebookDir(), 0700);
}

std::string defaultStateDir(const std::string& cluster) {
  if (::geteuid() == 0) return "/var/lib/coral/" + cluster;
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/coral/" + cluster;
  }
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.local/state/coral/" + cluster;
}

Result<std::string> ensureSecret(const std::string& path) {
  if (auto existing = os::readFile(path); existing && !existing->empty()) {
    std::string secret = *existing;
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == ' ')) secret.pop_back();
    return secret;
  }
  std::random_device random;  // /dev/urandom on Linux
  std::string secret;
  for (int i = 0; i < 6; ++i) secret += fmt::format("{:08x}", random());
  if (auto written = os::writeFileAtomically(path, secret + "\n", 0600); !written) {
    return written.error();
  }
  return secret;
}

Result<DaemonLock> DaemonLock::acquire(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return makeError(fmt::format("cannot open lock file {}: {}", path, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return makeError(fmt::format(
        "another Coral daemon (pid {}) already manages this state dir ({}); use `coral status`, or "
        "`coral down` to stop it",
        holder(path), path));
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The pid is only informative; the flock is what excludes.
  }
  return DaemonLock(fd);
}

int DaemonLock::holder(const std::string& path) {
  std::ifstream in(path);
  int pid = 0;
  in >> pid;
  return pid;
}

DaemonLock::~DaemonLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace coral::daemon
