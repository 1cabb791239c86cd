#include "daemon/host_address.h"

#include <nlohmann/json.hpp>

#include "os/subprocess.h"

namespace coral::daemon {

std::string hostAddress() {
  auto routes = os::runChecked({"ip", "-j", "-4", "route", "show", "default"});
  if (!routes) return "127.0.0.1";
  auto parsed = nlohmann::json::parse(*routes, nullptr, false);
  if (!parsed.is_array() || parsed.empty()) return "127.0.0.1";
  std::string dev = parsed[0].value("dev", "");
  if (dev.empty()) return "127.0.0.1";
  auto addresses = os::runChecked({"ip", "-j", "-4", "addr", "show", "dev", dev});
  if (!addresses) return "127.0.0.1";
  auto links = nlohmann::json::parse(*addresses, nullptr, false);
  if (!links.is_array()) return "127.0.0.1";
  for (const auto& link : links) {
    for (const auto& info : link.value("addr_info", nlohmann::json::array())) {
      if (info.value("scope", "") == "global") return info.value("local", "127.0.0.1");
    }
  }
  return "127.0.0.1";
}

}  // namespace coral::daemon
