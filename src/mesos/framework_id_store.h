// Durable home of the FrameworkID the master assigned: written atomically
// before the framework acts on it, reused on every re-subscribe and restart,
// so a restarted Coral re-attaches to its running tasks instead of
// registering a second framework.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"

namespace coral::mesos {

class FrameworkIdStore {
 public:
  // The ID lives in `<stateDir>/framework_id` (the directory is created on
  // the first save).
  explicit FrameworkIdStore(std::string stateDir);

  // Empty when no ID was ever saved; an error when the file exists but
  // cannot be read or holds something that is not a FrameworkID.
  Result<std::optional<std::string>> load() const;

  Status save(const std::string& frameworkId);

  // Forgets the ID, e.g. after TEARDOWN: the next subscribe registers anew.
  Status clear();

  const std::string& path() const { return path_; }

 private:
  std::string stateDir_;
  std::string path_;
};

}  // namespace coral::mesos
