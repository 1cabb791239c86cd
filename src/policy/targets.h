// Checks that every policy's targets exist in the cluster: named nodes are
// nodes of the cluster, a role matches at least one node, and a host-port
// policy has a notebook whose port it can guard. Separate from parsing
// because the node list comes from another part of the spec.
#pragma once

#include <vector>

#include "core/result.h"
#include "policy/policy.h"

namespace coral::policy {

// Every problem is reported, one per line, in the parser's format.
Status validateTargets(const std::vector<Policy>& policies, const std::vector<NodeRef>& nodes);

}  // namespace coral::policy
