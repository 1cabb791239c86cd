#include "os/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace coral::os {
namespace {

std::string errnoText() { return std::strerror(errno); }

}  // namespace

Status writeFileAtomically(const std::string& path, const std::string& content, mode_t mode) {
  const std::filesystem::path target(path);
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return makeError(fmt::format("cannot write {}: {}; check that its directory exists and is "
                                 "writable",
                                 temp, errnoText()));
  }
  // open() honours the umask; the mode is part of the contract (tokens are 0600).
  ::fchmod(fd, mode);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string why = errnoText();
      ::close(fd);
      ::unlink(temp.c_str());
      return makeError(fmt::format("cannot write {}: {}", temp, why));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string why = errnoText();
    ::unlink(temp.c_str());
    return makeError(fmt::format("cannot flush {}: {}", temp, why));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    std::string why = errnoText();
    ::unlink(temp.c_str());
    return makeError(fmt::format("cannot replace {}: {}", path, why));
  }
  std::string dir = target.parent_path().empty() ? "." : target.parent_path().string();
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return okStatus();
}

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(fmt::format("cannot read {}: {}", path, errnoText()));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Status makeDirectories(const std::string& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::path p(path);
  std::filesystem::path built;
  for (const auto& part : p) {
    built /= part;
    if (std::filesystem::exists(built, ec)) continue;
    if (::mkdir(built.c_str(), mode) != 0 && errno != EEXIST) {
      return makeError(fmt::format("cannot create directory {}: {}", built.string(), errnoText()));
    }
  }
  return okStatus();
}

}  // namespace coral::os
