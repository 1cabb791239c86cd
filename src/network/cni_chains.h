// Removes the skeleton chains the plugins leave after the last detach
// (CNI-FORWARD, CNI-ADMIN, CNI-HOSTPORT-*, our CORAL-HOSTPORTS).
// Must never touch a chain holding anyone's real rules.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "network/iptables_text.h"

namespace coral::network {

// The iptables-restore lines (-D ..., -X ...) that remove the removable
// skeleton chains of one table; empty when there is nothing to remove.
std::vector<std::string> planSkeletonCleanup(const IptablesTable& table);

// Removes, per table in one iptables-restore transaction, the chains whose
// rules are only the plugins' own skeleton rules and that no non-built-in
// chain still jumps to, plus the jumps to them from built-in chains. Call it
// only while no attach can run (Coral calls it after the last detach).
Status removeEmptyCniChains();

}  // namespace coral::network
