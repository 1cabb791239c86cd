// The result a CNI plugin prints after ADD, in all its shapes (0.1/0.2
// "ip4"/"ip6", 0.3/0.4 "ips" with "version", 1.0 "ips").
// Must never drop what it does not understand: `raw` keeps the original.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace coral::cni {

struct IpConfig {
  std::string address;  // CIDR, e.g. "10.213.0.2/24"
  std::string gateway;  // empty when none
  int interface = -1;   // index into CniResult::interfaces, -1 when absent
};

struct Interface {
  std::string name;
  std::string mac;
  std::string sandbox;  // netns path; empty for host-side interfaces
};

struct Route {
  std::string dst;
  std::string gw;  // empty when none
};

struct CniResult {
  std::string cni_version;
  std::vector<Interface> interfaces;
  std::vector<IpConfig> ips;
  std::vector<Route> routes;
  nlohmann::json raw;

  // First IPv4 address, without its prefix length.
  std::optional<std::string> firstIpv4() const;
};

Result<CniResult> parseResult(const nlohmann::json& result);

}  // namespace coral::cni
