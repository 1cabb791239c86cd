#include "cni/cni_result.h"

#include <arpa/inet.h>

#include <fmt/format.h>

#include "cni/config.h"

namespace coral::cni {
namespace {

Result<std::string> optionalString(const nlohmann::json& object, const char* key,
                                   const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return makeError(fmt::format("CNI result: {}.{} must be a string, not {}; the plugin printed "
                                 "a malformed result (upgrade or fix the plugin)",
                                 where, key, it->type_name()));
  }
  return it->get<std::string>();
}

Result<std::string> requiredString(const nlohmann::json& object, const char* key,
                                   const std::string& where) {
  auto value = optionalString(object, key, where);
  if (!value) return value;
  if (value->empty()) {
    return makeError(fmt::format("CNI result: {} has no \"{}\"; the plugin printed a malformed "
                                 "result (upgrade or fix the plugin)",
                                 where, key));
  }
  return value;
}

Status parseRoutes(const nlohmann::json& parent, const std::string& where,
                   std::vector<Route>& routes) {
  auto it = parent.find("routes");
  if (it == parent.end() || it->is_null()) return okStatus();
  if (!it->is_array()) {
    return makeError(fmt::format("CNI result: {}.routes must be a list; the plugin printed a "
                                 "malformed result (upgrade or fix the plugin)",
                                 where));
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& entry = (*it)[i];
    const std::string here = fmt::format("{}.routes[{}]", where, i);
    if (!entry.is_object()) {
      return makeError(fmt::format("CNI result: {} must be an object; the plugin printed a "
                                   "malformed result (upgrade or fix the plugin)",
                                   here));
    }
    auto dst = requiredString(entry, "dst", here);
    if (!dst) return dst.error();
    auto gw = optionalString(entry, "gw", here);
    if (!gw) return gw.error();
    routes.push_back(Route{*dst, *gw});
  }
  return okStatus();
}

// 0.1.0 / 0.2.0: {"ip4": {"ip": CIDR, "gateway", "routes"}, "ip6": {...}}
Status parseLegacy(const nlohmann::json& result, CniResult& out) {
  for (const char* key : {"ip4", "ip6"}) {
    auto it = result.find(key);
    if (it == result.end() || it->is_null()) continue;
    if (!it->is_object()) {
      return makeError(fmt::format("CNI result: \"{}\" must be an object; the plugin printed a "
                                   "malformed result (upgrade or fix the plugin)",
                                   key));
    }
    auto ip = requiredString(*it, "ip", key);
    if (!ip) return ip.error();
    auto gateway = optionalString(*it, "gateway", key);
    if (!gateway) return gateway.error();
    out.ips.push_back(IpConfig{*ip, *gateway, -1});
    if (auto ok = parseRoutes(*it, key, out.routes); !ok) return ok;
  }
  return okStatus();
}

// 0.3.x / 0.4.0 / 1.0.0: interfaces, ips (with "version" before 1.0), routes.
Status parseCurrent(const nlohmann::json& result, CniResult& out) {
  if (auto it = result.find("interfaces"); it != result.end() && !it->is_null()) {
    if (!it->is_array()) {
      return makeError("CNI result: \"interfaces\" must be a list; the plugin printed a "
                       "malformed result (upgrade or fix the plugin)");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      const auto& entry = (*it)[i];
      const std::string here = fmt::format("interfaces[{}]", i);
      if (!entry.is_object()) {
        return makeError(fmt::format("CNI result: {} must be an object; the plugin printed a "
                                     "malformed result (upgrade or fix the plugin)",
                                     here));
      }
      auto name = requiredString(entry, "name", here);
      if (!name) return name.error();
      auto mac = optionalString(entry, "mac", here);
      if (!mac) return mac.error();
      auto sandbox = optionalString(entry, "sandbox", here);
      if (!sandbox) return sandbox.error();
      out.interfaces.push_back(Interface{*name, *mac, *sandbox});
    }
  }
  if (auto it = result.find("ips"); it != result.end() && !it->is_null()) {
    if (!it->is_array()) {
      return makeError("CNI result: \"ips\" must be a list; the plugin printed a malformed "
                       "result (upgrade or fix the plugin)");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      const auto& entry = (*it)[i];
      const std::string here = fmt::format("ips[{}]", i);
      if (!entry.is_object()) {
        return makeError(fmt::format("CNI result: {} must be an object; the plugin printed a "
                                     "malformed result (upgrade or fix the plugin)",
                                     here));
      }
      IpConfig ip;
      auto address = requiredString(entry, "address", here);
      if (!address) return address.error();
      auto gateway = optionalString(entry, "gateway", here);
      if (!gateway) return gateway.error();
      ip.address = *address;
      ip.gateway = *gateway;
      if (auto idx = entry.find("interface"); idx != entry.end() && !idx->is_null()) {
        if (!idx->is_number_integer()) {
          return makeError(fmt::format("CNI result: {}.interface must be an integer index; the "
                                       "plugin printed a malformed result (upgrade or fix the "
                                       "plugin)",
                                       here));
        }
        ip.interface = idx->get<int>();
        if (ip.interface < 0 || ip.interface >= static_cast<int>(out.interfaces.size())) {
          return makeError(fmt::format("CNI result: {}.interface is {} but there are {} "
                                       "interfaces; the plugin printed a malformed result "
                                       "(upgrade or fix the plugin)",
                                       here, ip.interface, out.interfaces.size()));
        }
      }
      out.ips.push_back(std::move(ip));
    }
  }
  return parseRoutes(result, "result", out.routes);
}

}  // namespace

std::optional<std::string> CniResult::firstIpv4() const {
  for (const auto& ip : ips) {
    std::string bare = ip.address.substr(0, ip.address.find('/'));
    in_addr parsed{};
    if (::inet_pton(AF_INET, bare.c_str(), &parsed) == 1) return bare;
  }
  return std::nullopt;
}

Result<CniResult> parseResult(const nlohmann::json& result) {
  if (!result.is_object()) {
    return makeError("CNI result is not a JSON object; the plugin printed something that is not "
                     "a CNI result (upgrade or fix the plugin)");
  }
  CniResult out;
  out.raw = result;
  auto version = optionalString(result, "cniVersion", "result");
  if (!version) return version.error();
  out.cni_version = *version;

  // The "ip4"/"ip6" keys identify 0.1/0.2 even when cniVersion is missing.
  const bool legacy = result.contains("ip4") || result.contains("ip6") ||
                      (!out.cni_version.empty() && compareCniVersions(out.cni_version, "0.3.0") < 0);
  Status parsed = legacy ? parseLegacy(result, out) : parseCurrent(result, out);
  if (!parsed) return parsed.error();
  return out;
}

}  // namespace coral::cni
