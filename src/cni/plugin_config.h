// Builds the stdin config one plugin of a list receives: name/cniVersion
// copied in, runtimeConfig for declared capabilities, prevResult.
// Must never pass capability data to a plugin that did not declare it.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "cni/config.h"
#include "cni/runtime_args.h"

namespace coral::cni {

nlohmann::json buildPluginConfig(const NetworkConfigList& network, size_t index,
                                 const std::vector<PortMapping>& port_mappings,
                                 const nlohmann::json* prev_result);

}  // namespace coral::cni
