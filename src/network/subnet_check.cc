#include "network/subnet_check.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "network/ipv4.h"
#include "os/subprocess.h"

namespace coral::network {
namespace {

constexpr const char* kFix = "choose another `network.subnet` in the cluster spec";

struct Reserved {
  const char* cidr;
  const char* what;
};
constexpr Reserved kReserved[] = {
    {"0.0.0.0/8", "the \"this network\" range 0.0.0.0/8"},
    {"127.0.0.0/8", "loopback 127.0.0.0/8"},
    {"169.254.0.0/16", "link-local 169.254.0.0/16 (Calico's gateway 169.254.1.1 lives there)"},
    {"224.0.0.0/4", "multicast 224.0.0.0/4"},
    {"240.0.0.0/4", "reserved 240.0.0.0/4"},
};

// ptp names the host side of a container's veth "veth…", Calico "cali…".
bool isContainerHostDevice(const std::string& dev) {
  return dev.rfind("veth", 0) == 0 || dev.rfind("cali", 0) == 0;
}

std::string text(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string describeRoute(const nlohmann::json& route) {
  std::string out;
  const std::string type = text(route, "type");
  if (!type.empty() && type != "unicast") out += type + " ";
  out += text(route, "dst");
  if (auto gw = text(route, "gateway"); !gw.empty()) out += " via " + gw;
  if (auto dev = text(route, "dev"); !dev.empty()) out += " dev " + dev;
  if (auto table = text(route, "table"); !table.empty() && table != "main") out += " table " + table;
  return out;
}

Result<nlohmann::json> parseList(const std::string& json, const char* what) {
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array()) {
    return makeError(fmt::format("cannot read the host's {}: `ip -j` printed something that is "
                                 "not a JSON list; install a current iproute2",
                                 what));
  }
  return parsed;
}

}  // namespace

Status validateSubnet(const std::string& subnet, const std::string& network_name) {
  auto prefix = parseIpv4Prefix(subnet, true);
  if (!prefix) {
    return makeError(fmt::format("subnet of network {}: {}; {}", network_name, prefix.message(), kFix));
  }
  if (prefix->length < 8 || prefix->length > 30) {
    return makeError(fmt::format("subnet {} of network {} has prefix length /{}, outside /8../30 "
                                 "(a /30 holds the gateway and one container); {}",
                                 subnet, network_name, prefix->length, kFix));
  }
  for (const auto& reserved : kReserved) {
    auto range = parseIpv4Prefix(reserved.cidr, true);
    if (range->overlaps(*prefix)) {
      return makeError(fmt::format("subnet {} of network {} overlaps {}, which cannot carry "
                                   "container traffic; {}",
                                   subnet, network_name, reserved.what, kFix));
    }
  }
  return okStatus();
}

Status checkSubnetAgainst(const std::string& subnet, const std::string& network_name,
                          const std::string& routes_json, const std::string& addrs_json) {
  if (auto valid = validateSubnet(subnet, network_name); !valid) return valid;
  const Ipv4Prefix ours = *parseIpv4Prefix(subnet, true);

  auto routes = parseList(routes_json, "routes");
  if (!routes) return routes.error();
  for (const auto& route : *routes) {
    if (!route.is_object()) continue;
    auto dst = parseRouteDestination(text(route, "dst"));
    // IPv6 routes cannot collide; a default route (length 0) is not a claim
    // on any particular range.
    if (!dst || dst->length == 0 || !dst->overlaps(ours)) continue;
    const std::string type = text(route, "type");
    if (type == "blackhole" && dst->length == ours.length && dst->first() == ours.first()) continue;
    if (dst->length == 32 && ours.contains(*dst) && isContainerHostDevice(text(route, "dev"))) {
      continue;
    }
    return makeError(fmt::format("subnet {} of network {} overlaps host route {}; {}", subnet,
                                 network_name, describeRoute(route), kFix));
  }

  auto links = parseList(addrs_json, "addresses");
  if (!links) return links.error();
  for (const auto& link : *links) {
    if (!link.is_object() || !link.contains("addr_info") || !link["addr_info"].is_array()) continue;
    const std::string dev = text(link, "ifname");
    for (const auto& info : link["addr_info"]) {
      if (!info.is_object() || text(info, "family") != "inet") continue;
      auto address = parseIpv4(text(info, "local"));
      if (!address || !info.contains("prefixlen") || !info["prefixlen"].is_number_integer()) continue;
      Ipv4Prefix net{*address, info["prefixlen"].get<int>()};
      if (!net.overlaps(ours)) continue;
      if (net.length == 32 && isContainerHostDevice(dev)) continue;
      return makeError(fmt::format("subnet {} of network {} overlaps address {}/{} on {}; {}",
                                   subnet, network_name, text(info, "local"), net.length, dev, kFix));
    }
  }
  return okStatus();
}

Status checkSubnetFree(const std::string& subnet, const std::string& network_name) {
  if (auto valid = validateSubnet(subnet, network_name); !valid) return valid;
  auto routes = os::runChecked({"ip", "-j", "-4", "route", "show", "table", "all"});
  if (!routes) {
    return makeError(fmt::format("cannot list the host's routes to check subnet {}: {}; install "
                                 "iproute2",
                                 subnet, routes.message()));
  }
  auto addrs = os::runChecked({"ip", "-j", "-4", "addr", "show"});
  if (!addrs) {
    return makeError(fmt::format("cannot list the host's addresses to check subnet {}: {}; "
                                 "install iproute2",
                                 subnet, addrs.message()));
  }
  return checkSubnetAgainst(subnet, network_name, *routes, *addrs);
}

}  // namespace coral::network
