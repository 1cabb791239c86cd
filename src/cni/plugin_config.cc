#include "cni/plugin_config.h"

namespace coral::cni {

nlohmann::json buildPluginConfig(const NetworkConfigList& network, size_t index,
                                 const std::vector<PortMapping>& port_mappings,
                                 const nlohmann::json* prev_result) {
  nlohmann::json config = network.plugins.at(index);
  config["name"] = network.name;
  config["cniVersion"] = network.cni_version;

  bool wants_port_mappings = false;
  if (auto caps = config.find("capabilities"); caps != config.end()) {
    if (caps->is_object()) {
      auto pm = caps->find("portMappings");
      wants_port_mappings = pm != caps->end() && pm->is_boolean() && pm->get<bool>();
    }
    config.erase("capabilities");
  }
  // runtimeConfig is reserved for the runtime (spec 1.0): what a file put
  // there is replaced by what we actually supply.
  config.erase("runtimeConfig");
  if (wants_port_mappings && !port_mappings.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& mapping : port_mappings) list.push_back(portMappingToJson(mapping));
    config["runtimeConfig"] = {{"portMappings", list}};
  }

  config.erase("prevResult");
  if (prev_result != nullptr && !prev_result->is_null()) config["prevResult"] = *prev_result;
  return config;
}

}  // namespace coral::cni
