// Reads a cluster spec (YAML) into a core::ClusterSpec. Every error names
// file:line:column, the field, what is wrong and what would be right.
#pragma once

#include <string>

#include "core/cluster_spec.h"
#include "core/result.h"

namespace coral::spec {

// `file_name` is only used in messages.
Result<core::ClusterSpec> parseSpec(const std::string& yaml_text, const std::string& file_name);
Result<core::ClusterSpec> loadSpecFile(const std::string& path);

// Checks a dotted-quad IPv4 CIDR whose host bits are zero, e.g. 10.213.0.0/24.
bool isValidIpv4Cidr(const std::string& cidr, std::string* why);

}  // namespace coral::spec
