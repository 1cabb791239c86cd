#include "mesos/framework_id_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "os/atomic_file.h"

namespace coral::mesos {

FrameworkIdStore::FrameworkIdStore(std::string stateDir)
    : stateDir_(std::move(stateDir)), path_(stateDir_ + "/framework_id") {}

Result<std::optional<std::string>> FrameworkIdStore::load() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return makeError("framework ID file " + path_ + ": " + std::strerror(errno) +
                     "; check the permissions of the state directory");
  }
  auto content = os::readFile(path_);
  if (!content) return content.error();
  std::string id = *content;
  while (!id.empty() && (id.back() == '\n' || id.back() == '\r' || id.back() == ' ')) id.pop_back();
  if (id.empty() || id.size() > 255 || id.find_first_of("/\\\n\r\t ") != std::string::npos) {
    return makeError("framework ID file " + path_ +
                     " does not hold a Mesos FrameworkID; fix or delete it (deleting "
                     "registers a new framework and orphans the old one's tasks)");
  }
  return std::optional<std::string>(std::move(id));
}

Status FrameworkIdStore::save(const std::string& frameworkId) {
  if (auto made = os::makeDirectories(stateDir_, 0700); !made) return made;
  if (auto written = os::writeFileAtomically(path_, frameworkId + "\n", 0600); !written) {
    return makeError("saving the framework ID to " + path_ + " failed: " + written.message() +
                     "; without it a restart would register a second framework");
  }
  return okStatus();
}

Status FrameworkIdStore::clear() {
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return makeError("removing framework ID file " + path_ + ": " + std::strerror(errno));
  }
  return okStatus();
}

}  // namespace coral::mesos
