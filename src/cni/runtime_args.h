// What a runtime passes to a CNI plugin chain besides the network config:
// which container, which netns and interface, CNI_ARGS and the capability
// arguments (port mappings). Plain data: must never do any work itself.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace coral::cni {

struct PortMapping {
  int host_port = 0;
  int container_port = 0;
  std::string protocol = "tcp";
  std::string host_ip;  // empty: all host addresses
};

struct RuntimeArgs {
  std::string container_id;
  std::string netns_path;  // e.g. /proc/PID/ns/net; optional for DEL
  std::string ifname = "eth0";
  std::vector<std::pair<std::string, std::string>> cni_args;  // CNI_ARGS K=V;K2=V2
  std::vector<PortMapping> port_mappings;  // runtimeConfig.portMappings (capability)
};

// Ports 1-65535, protocol tcp/udp/sctp, an IP literal (if any) without spaces.
Status validatePortMapping(const PortMapping& mapping);

// The capability-argument shape: {"hostPort","containerPort","protocol"[,"hostIP"]}.
nlohmann::json portMappingToJson(const PortMapping& mapping);
Result<PortMapping> portMappingFromJson(const nlohmann::json& json);

// "K=V;K2=V2" (keys and values may not contain ';' or '=').
Result<std::string> formatCniArgs(const std::vector<std::pair<std::string, std::string>>& args);

}  // namespace coral::cni
