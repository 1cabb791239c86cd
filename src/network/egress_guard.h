// Keeps the cluster's traffic on this machine: nodes may talk to each other,
// to this host, and answer whoever connects to them (the published notebook
// port), but a new connection from a node to any other address is rejected
// at once in FORWARD.
//
// Why: the generated network has no NAT (ipMasq false, like Calico without
// natOutgoing), so nothing routes replies back to cluster addresses; without
// the guard, packets would still leave by the default route with unroutable
// source addresses. Measured: every DNS lookup in a node (resolv.conf names
// the host's resolver) sent 4 such packets and hung for 20 s; with the guard
// it fails at once. The real Calico plugin manages routing and NAT itself and
// gets no guard.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace coral::network {

// The rule spec (after "-I FORWARD 1") for `subnet` (a CIDR).
std::vector<std::string> egressGuardRuleSpec(const std::string& subnet);

// Adds the guard before the CNI firewall plugin's jump (which accepts
// everything from the containers). Idempotent.
Status addEgressGuard(const std::string& subnet);
// Moves an existing guard up again after the plugin inserted its jump above
// it (at the first attachment on this host): call it after every attachment.
Status keepEgressGuardFirst(const std::string& subnet);
// Idempotent.
Status removeEgressGuard(const std::string& subnet);

}  // namespace coral::network
