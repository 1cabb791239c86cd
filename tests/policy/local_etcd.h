// A real etcd (Debian's etcd-server) on loopback for one test: ephemeral
// ports, a temp data dir, stopped and removed on destruction.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "test_topology.h"

namespace coral::policy::testing {

class LocalEtcd {
 public:
  // Starts etcd and waits until it answers (at most 10 s).
  static Result<std::unique_ptr<LocalEtcd>> start();
  ~LocalEtcd();

  const std::string& url() const { return url_; }  // http://127.0.0.1:<port>

 private:
  LocalEtcd() = default;
  std::string url_;
  std::string dir_;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace coral::policy::testing
