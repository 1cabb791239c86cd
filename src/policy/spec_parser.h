// Parses the `policies:` list of a cluster spec into Policy values. Checks
// everything that can be checked without knowing the cluster (syntax of
// addresses, MACs, ports, ICMP types, unknown keys, duplicate names); node
// names are checked against the cluster by validateTargets (targets.h).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "core/result.h"
#include "policy/policy.h"

namespace coral::policy {

// `policies` is the value of the `policies:` key (a sequence; null or absent
// means no policies). Every problem found is reported, one per line, as
// "<file>:<line>:<column>: policy \"<name>\": <field> <cause> (<fix>)".
Result<std::vector<Policy>> parsePolicies(const YAML::Node& policies, const std::string& file_name);

}  // namespace coral::policy
