#include "cni/validate.h"

#include <cctype>

#include <fmt/format.h>

namespace coral::cni {
namespace {

bool isIdentifier(const std::string& s) {
  if (s.empty() || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

Status validateContainerId(const std::string& id) {
  if (isIdentifier(id)) return okStatus();
  return makeError(fmt::format(
      "container id \"{}\" is not valid for CNI: it must be non-empty, start with a letter or "
      "digit and contain only letters, digits, '_', '.' and '-'; use the Docker container id",
      id));
}

Status validateIfName(const std::string& ifname) {
  std::string why;
  if (ifname.empty()) {
    why = "it is empty";
  } else if (ifname.size() > 15) {
    why = "it is longer than 15 characters";
  } else if (ifname == "." || ifname == "..") {
    why = "it is \".\" or \"..\"";
  } else {
    for (char c : ifname) {
      if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c))) {
        why = "it contains '/', ':' or whitespace";
        break;
      }
    }
  }
  if (why.empty()) return okStatus();
  return makeError(fmt::format("interface name \"{}\" is not valid for CNI: {}; use a short name "
                               "such as eth0",
                               ifname, why));
}

Status validateNetworkName(const std::string& name) {
  if (isIdentifier(name)) return okStatus();
  return makeError(fmt::format(
      "network name \"{}\" is not valid for CNI: it must be non-empty, start with a letter or "
      "digit and contain only letters, digits, '_', '.' and '-'; rename the network",
      name));
}

}  // namespace coral::cni
