#include "cli/daemon_control.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "mesos/backend_settings.h"
#include "os/atomic_file.h"

namespace coral::cli {
namespace {

constexpr auto kDaemonStartTimeout = std::chrono::seconds(20);
constexpr auto kPoll = std::chrono::milliseconds(20);

std::string readToken(const daemon::StateDir& dir) {
  auto token = os::readFile(dir.apiToken());
  if (!token) return "";
  std::string text = *token;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

std::optional<api::Client> connectDaemon(const daemon::StateDir& dir) {
  if (::access(dir.socket().c_str(), F_OK) != 0) return std::nullopt;
  api::Client client(api::Endpoint{dir.socket(), "", 0}, readToken(dir));
  auto health = client.request("GET", "/healthz", "", std::chrono::seconds(2));
  if (!health || health->status != 200) return std::nullopt;
  return client;
}

std::optional<api::Client> requireDaemon(const daemon::StateDir& dir) {
  auto client = connectDaemon(dir);
  if (!client) {
    std::cerr << fmt::format(
        "coral: no Coral daemon answers for {} (is the cluster up? run `coral up`, or pass "
        "--state-dir / --cluster)\n",
        dir.root());
  }
  return client;
}

int reportApiFailure(const Result<api::Response>& answer) {
  if (!answer) {
    std::cerr << "coral: " << answer.message() << "\n";
    return 1;
  }
  if (answer->status >= 300) {
    std::cerr << "coral: " << api::errorMessage(*answer) << "\n";
    return 1;
  }
  return 0;
}

std::string daemonLogTail(const daemon::StateDir& dir, int lines) {
  std::ifstream in(dir.log());
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string text;
  for (const auto& l : last) text += "    " + l + "\n";
  return text;
}

std::string recordedBackend(const daemon::StateDir& dir) {
  return std::filesystem::exists(mesos::settingsPath(dir.root())) ? "mesos" : "local";
}

Result<api::Client> ensureDaemon(const daemon::StateDir& dir, const std::string& backend,
                                 bool* started, bool resume) {
  *started = false;
  if (auto client = connectDaemon(dir)) return *client;
  if (auto created = dir.create(); !created) return created.error();

  char self[4096] = {};
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return makeError("cannot find the coral executable (/proc/self/exe)");

  pid_t pid = ::fork();
  if (pid < 0) return makeError(fmt::format("cannot start the daemon: fork: {}", std::strerror(errno)));
  if (pid == 0) {
    // The daemon outlives this command: own session, no terminal, log file.
    ::setsid();
    int log = ::open(dir.log().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    if (null >= 0) ::dup2(null, 0);
    std::string state = dir.root();
    ::execl(self, self, "daemon", "--state-dir", state.c_str(), "--backend", backend.c_str(),
            resume ? static_cast<char*>(nullptr) : "--no-resume", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  *started = true;
  const auto deadline = std::chrono::steady_clock::now() + kDaemonStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto client = connectDaemon(dir)) return *client;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      *started = false;
      return makeError(fmt::format("the Coral daemon exited at start (status {}); its log ({}) "
                                   "ends with:\n{}",
                                   WIFEXITED(status) ? WEXITSTATUS(status) : -1, dir.log(),
                                   daemonLogTail(dir, 10)));
    }
    std::this_thread::sleep_for(kPoll);
  }
  return makeError(fmt::format("the Coral daemon did not answer on {} within {} s; see {}",
                               dir.socket(), kDaemonStartTimeout.count(), dir.log()));
}

Status waitForDaemonExit(const daemon::StateDir& dir, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = ::open(dir.lock().c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return okStatus();
    bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    ::close(fd);
    if (free) return okStatus();
    std::this_thread::sleep_for(kPoll);
  }
  return makeError(fmt::format("the Coral daemon of {} (pid {}) did not exit; see {}", dir.root(),
                               daemon::DaemonLock::holder(dir.lock()), dir.log()));
}

}  // namespace coral::cli
