// Lets clients on other machines reach a container's mapped host ports by
// accepting DNAT'd connections to it in FORWARD (chain CORAL-HOSTPORTS).
// Must never accept traffic that was not port-mapped to the container.
#pragma once

#include <string>
#include <vector>

#include "cni/runtime_args.h"
#include "core/result.h"

namespace coral::network {

// Why: portmap only DNATs. With dockerd running, FORWARD's policy is DROP
// and the firewall plugin accepts only traffic from the container or
// established traffic to it, so a new DNAT'd connection from another machine
// is dropped (measured). The chain is appended to FORWARD, i.e. last, so a
// deny that a policy puts earlier in FORWARD still wins.
inline constexpr const char* kHostPortChain = "CORAL-HOSTPORTS";

// The rule spec (after "-A CORAL-HOSTPORTS") for one mapping.
std::vector<std::string> hostPortRuleSpec(const std::string& network, const std::string& container_id,
                                          const std::string& container_ip,
                                          const cni::PortMapping& mapping);

Status allowHostPorts(const std::string& network, const std::string& container_id,
                      const std::string& container_ip, const std::vector<cni::PortMapping>& mappings);

// Verifies, for each port mapping cached at ADD, portmap's IPv4 DNAT rule
// and our ACCEPT rule (what CNI CHECK would do for portmap).
Status checkHostPorts(const std::string& network, const std::string& container_id,
                      const std::string& cni_cache_dir);

// Removes this container's rules (found by their comment); fine when none exist.
Status revokeHostPorts(const std::string& network, const std::string& container_id);

}  // namespace coral::network
