// Decides whether a container subnet can be used on this host: valid,
// not reserved, overlapping no route or address the host already has.
// Must never change the host: it only reads `ip -j route` and `ip -j addr`.
#pragma once

#include <string>

#include "core/result.h"

namespace coral::network {

// A strict IPv4 CIDR (no host bits), prefix /8../30, outside 0/8, 127/8,
// 169.254/16, multicast 224/4 and reserved 240/4.
Status validateSubnet(const std::string& subnet, const std::string& network_name = "calico");

Status checkSubnetFree(const std::string& subnet, const std::string& network_name = "calico");

// The decision on given `ip -j` outputs (testable without touching the host).
// Not counted as overlaps: a blackhole route for exactly `subnet`, and /32
// routes and addresses inside it on veth*/cali* devices (the host side of
// this network's own containers).
Status checkSubnetAgainst(const std::string& subnet, const std::string& network_name,
                          const std::string& routes_json, const std::string& addrs_json);

}  // namespace coral::network
