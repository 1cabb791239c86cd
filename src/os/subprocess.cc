#include "os/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

extern char** environ;

namespace coral::os {
namespace {

std::string joinArgv(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& arg : argv) {
    if (!line.empty()) line += ' ';
    line += arg;
  }
  return line;
}

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  ~Pipe() {
    if (read_end >= 0) ::close(read_end);
    if (write_end >= 0) ::close(write_end);
  }
  bool open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read_end = fds[0];
    write_end = fds[1];
    return true;
  }
  void closeRead() { ::close(read_end), read_end = -1; }
  void closeWrite() { ::close(write_end), write_end = -1; }
};

}  // namespace

std::optional<std::string> findExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return name;
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

Result<ProcessOutput> runProcess(const std::vector<std::string>& argv,
                                 const ProcessOptions& options) {
  if (argv.empty()) return makeError("runProcess: empty command line");
  auto program = findExecutable(argv[0]);
  if (!program) {
    return makeError(fmt::format("cannot run '{}': program not found in PATH; install the package "
                                 "that provides it",
                                 argv[0]));
  }

  Pipe in, out, err;
  if (!in.open() || !out.open() || !err.open()) {
    return makeError(fmt::format("cannot run '{}': pipe: {}", argv[0], std::strerror(errno)));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read_end, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write_end, 1);
  posix_spawn_file_actions_adddup2(&actions, err.write_end, 2);

  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  std::vector<std::string> env_storage;
  std::vector<char*> env_ptrs;
  char** envp = environ;
  if (options.env) {
    for (const auto& [key, value] : *options.env) env_storage.push_back(key + "=" + value);
    for (auto& entry : env_storage) env_ptrs.push_back(entry.data());
    env_ptrs.push_back(nullptr);
    envp = env_ptrs.data();
  }

  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, program->c_str(), &actions, nullptr, args.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return makeError(fmt::format("cannot run '{}': {}", joinArgv(argv), std::strerror(rc)));
  }
  in.closeRead();
  out.closeWrite();
  err.closeWrite();

  // Feed stdin and drain both outputs together so that a chatty child never
  // blocks on a full pipe while we block on another.
  ProcessOutput result;
  size_t written = 0;
  if (options.stdin_data.empty()) in.closeWrite();
  ::fcntl(in.write_end, F_SETFL, O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool timed_out = false;
  while (out.read_end >= 0 || err.read_end >= 0) {
    std::vector<pollfd> fds;
    if (out.read_end >= 0) fds.push_back({out.read_end, POLLIN, 0});
    if (err.read_end >= 0) fds.push_back({err.read_end, POLLIN, 0});
    if (in.write_end >= 0) fds.push_back({in.write_end, POLLOUT, 0});
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) {
      timed_out = true;
      break;
    }
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(remaining.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (const auto& fd : fds) {
      if (fd.revents == 0) continue;
      if (fd.fd == in.write_end) {
        ssize_t w = ::write(in.write_end, options.stdin_data.data() + written,
                            options.stdin_data.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) written = options.stdin_data.size();
        if (written >= options.stdin_data.size()) in.closeWrite();
        continue;
      }
      char buffer[8192];
      ssize_t r = ::read(fd.fd, buffer, sizeof buffer);
      std::string& sink = fd.fd == out.read_end ? result.out : result.err;
      if (r > 0) {
        sink.append(buffer, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        if (fd.fd == out.read_end) out.closeRead(); else err.closeRead();
      }
    }
  }
  if (timed_out) ::kill(pid, SIGKILL);

  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return makeError(fmt::format("'{}' did not finish within {} ms and was killed", joinArgv(argv),
                                 options.timeout.count()));
  }
  result.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  return result;
}

Result<std::string> runChecked(const std::vector<std::string>& argv,
                               const ProcessOptions& options) {
  auto result = runProcess(argv, options);
  if (!result) return result.error();
  if (result->exit_code != 0) {
    std::string detail = result->err.empty() ? result->out : result->err;
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
    return makeError(fmt::format("'{}' failed (exit {}): {}", joinArgv(argv), result->exit_code,
                                 detail));
  }
  return std::move(result->out);
}

}  // namespace coral::os
