#include "network/blackhole_route.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "network/ipv4.h"
#include "os/subprocess.h"

namespace coral::network {
namespace {

enum class Existing { None, Blackhole, Other };

struct Lookup {
  Existing kind = Existing::None;
  std::string other;  // description of a non-blackhole route
};

Result<Lookup> lookup(const std::string& subnet) {
  auto out = os::runChecked({"ip", "-j", "-4", "route", "show", "exact", subnet});
  if (!out) {
    return makeError(fmt::format("cannot look up the route for {}: {}; install iproute2", subnet,
                                 out.message()));
  }
  auto routes = nlohmann::json::parse(*out, nullptr, false);
  Lookup found;
  if (!routes.is_array()) return found;
  for (const auto& route : routes) {
    if (!route.is_object()) continue;
    if (route.value("type", "") == "blackhole") {
      found.kind = Existing::Blackhole;
      return found;
    }
    found.kind = Existing::Other;
    found.other = route.dump();
  }
  return found;
}

Status checkedSubnet(const std::string& subnet) {
  auto prefix = parseIpv4Prefix(subnet, true);
  if (!prefix) return prefix.error();
  return okStatus();
}

}  // namespace

Status addBlackholeRoute(const std::string& subnet) {
  if (auto ok = checkedSubnet(subnet); !ok) return ok;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto found = lookup(subnet);
    if (!found) return found.error();
    if (found->kind == Existing::Blackhole) return okStatus();
    if (found->kind == Existing::Other) {
      return makeError(fmt::format("cannot add a blackhole route for {}: the host already routes "
                                   "exactly that subnet ({}); choose another `network.subnet` in "
                                   "the cluster spec or remove that route",
                                   subnet, found->other));
    }
    auto added = os::runProcess({"ip", "-4", "route", "add", "blackhole", subnet});
    if (!added) return added.error();
    if (added->exit_code == 0) return okStatus();
    // "File exists": someone added a route meanwhile; look again once.
  }
  return makeError(fmt::format("cannot add a blackhole route for {}: `ip route add blackhole {}` "
                               "keeps failing; check the routing table with `ip route show exact {}`",
                               subnet, subnet, subnet));
}

Status removeBlackholeRoute(const std::string& subnet) {
  if (auto ok = checkedSubnet(subnet); !ok) return ok;
  auto found = lookup(subnet);
  if (!found) return found.error();
  if (found->kind != Existing::Blackhole) return okStatus();
  auto removed = os::runProcess({"ip", "-4", "route", "del", "blackhole", subnet});
  if (!removed) return removed.error();
  if (removed->exit_code != 0) {
    auto again = lookup(subnet);
    if (again && again->kind != Existing::Blackhole) return okStatus();  // gone meanwhile
    return makeError(fmt::format("cannot remove the blackhole route for {}: {}; remove it with "
                                 "`ip route del blackhole {}`",
                                 subnet, removed->err, subnet));
  }
  return okStatus();
}

}  // namespace coral::network
