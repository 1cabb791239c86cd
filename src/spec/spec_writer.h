// Writes a ClusterSpec back as YAML that parseSpec reads to the same value:
// how the daemon persists changes made through the API (scale).
#pragma once

#include <string>

#include "core/cluster_spec.h"

namespace coral::spec {

std::string toYaml(const core::ClusterSpec& spec);

}  // namespace coral::spec
