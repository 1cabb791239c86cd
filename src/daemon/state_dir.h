// The files one cluster keeps on this machine, in one directory: the spec it
// converges to, its secrets, the daemon's lock, socket and log, and the CNI
// cache and IPAM leases. Every file is written atomically.
#pragma once

#include <string>

#include "core/result.h"

namespace coral::daemon {

class StateDir {
 public:
  explicit StateDir(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string spec() const { return root_ + "/spec.yaml"; }
  std::string lock() const { return root_ + "/daemon.lock"; }
  std::string socket() const { return root_ + "/api.sock"; }
  std::string apiToken() const { return root_ + "/api-token"; }
  std::string notebookToken() const { return root_ + "/notebook-token"; }
  // Lets nodes on other machines read share/ over the API, and nothing else.
  std::string nodeToken() const { return root_ + "/node-token"; }
  std::string log() const { return root_ + "/daemon.log"; }
  // Mounted into every node: the cluster's authorized_keys and hosts inventory.
  std::string shareDir() const { return root_ + "/share"; }
  // Mounted into the notebook only: the cluster's SSH private key, API token.
  std::string notebookDir() const { return root_ + "/notebook"; }

  Status create() const;

 private:
  std::string root_;
};

// /var/lib/coral/<cluster> for root, else $XDG_STATE_HOME/coral/<cluster>
// (default ~/.local/state/coral/<cluster>).
std::string defaultStateDir(const std::string& cluster);

// Returns the secret stored at `path`, creating a new random one (48 hex
// digits, mode 0600) when the file does not exist yet.
Result<std::string> ensureSecret(const std::string& path);

// Holds an exclusive flock on the state dir's lock file for as long as it
// lives: one daemon per state dir.
class DaemonLock {
 public:
  static Result<DaemonLock> acquire(const std::string& path);
  // The pid written by the daemon holding the lock, or 0.
  static int holder(const std::string& path);
  DaemonLock(DaemonLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DaemonLock& operator=(DaemonLock&&) = delete;
  ~DaemonLock();

 private:
  explicit DaemonLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace coral::daemon
