// Applies a cluster's policies to the host firewall and removes them again.
// Each change is one `iptables-restore --noflush` transaction: all of its
// rules take effect or none do, and no other table, chain or rule is touched.
// The current state is read back from `iptables-save` on every call, so the
// enforcer holds no state and survives restarts of the daemon.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "policy/iptables_render.h"
#include "policy/policy.h"

namespace coral::policy {

class IptablesEnforcer {
 public:
  // `cluster` must be a DNS label (it is part of chain names and comments).
  explicit IptablesEnforcer(std::string cluster);

  // Makes the host rules of this cluster exactly those of `policies` for the
  // running `nodes`: chains are (re)filled, jumps re-inserted at the top of
  // FORWARD/OUTPUT, chains and jumps of nodes that are gone removed.
  // Idempotent. Values are re-validated, since they end up in rule text.
  Status apply(const std::vector<Policy>& policies, const std::vector<NodeEndpoint>& nodes,
               int notebook_host_port, const std::string& notebook_ip);

  // Removes every chain and jump of this cluster, and nothing else.
  Status removeAll();

  // The chains this cluster owns now (sorted).
  Result<std::vector<std::string>> listChains() const;

 private:
  struct State;
  Result<State> readState() const;
  Status replaceWith(const IptablesPlan& plan);
  Status replaceOnce(const IptablesPlan& plan);

  std::string cluster_;
};

}  // namespace coral::policy
