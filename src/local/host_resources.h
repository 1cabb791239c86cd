// What this machine can give the cluster: the local backend's "offer".
#pragma once

#include <cstdint>
#include <string>

namespace coral::local {

struct HostResources {
  std::string hostname;
  double cpus = 0;
  int64_t mem_mb = 0;
};

HostResources readHostResources();

}  // namespace coral::local
