#include "local/host_resources.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace coral::local {

HostResources readHostResources() {
  HostResources host;
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0) host.hostname = name;
  host.cpus = static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream fields(line);
    std::string key;
    int64_t kb = 0;
    fields >> key >> kb;
    if (key == "MemTotal:") host.mem_mb = kb / 1024;
  }
  return host;
}

}  // namespace coral::local
