// Attaches one container's netns to the resolved network and detaches it,
// wrapping the CNI runtime (address, /32 host route, port mappings).
// Must never leave a half-attached container: a failed attach is undone.
#pragma once

#include <string>
#include <vector>

#include "cni/runtime.h"
#include "core/result.h"
#include "network/calico_network.h"

namespace coral::network {

struct Attachment {
  std::string ip;         // IPv4, without prefix
  std::string mac;        // of the container's interface
  std::string host_veth;  // host side of the veth pair
  cni::CniResult result;
};

class Attacher {
 public:
  Attacher(const Options& options, const std::string& state_dir);

  // Attaches the netns of `pid` (/proc/PID/ns/net) as eth0. A leftover
  // attachment of the same container (e.g. from before a restart, which
  // gives a new netns) is detached first.
  Result<Attachment> attach(const CalicoNetwork& network, const std::string& container_id, int pid,
                            const std::vector<cni::PortMapping>& port_mappings);

  // Detaches using the cached result; fine when the container (or the
  // attachment) is already gone.
  Status detach(const CalicoNetwork& network, const std::string& container_id);

  // CNI CHECK of a container's attachment.
  Status check(const CalicoNetwork& network, const std::string& container_id);

  // Containers with a cached attachment (to clean up after a crash).
  std::vector<std::string> attachedContainers(const CalicoNetwork& network) const;

  const cni::Runtime& runtime() const { return runtime_; }

 private:
  cni::Runtime runtime_;
};

}  // namespace coral::network
