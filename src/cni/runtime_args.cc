#include "cni/runtime_args.h"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace coral::cni {

Status validatePortMapping(const PortMapping& m) {
  auto bad = [&](const std::string& why) {
    return makeError(fmt::format("port mapping {}:{}/{} is invalid: {}; fix the port mapping in "
                                 "the cluster spec",
                                 m.host_port, m.container_port, m.protocol, why));
  };
  if (m.host_port < 1 || m.host_port > 65535) return bad("the host port is not in 1-65535");
  if (m.container_port < 1 || m.container_port > 65535) {
    return bad("the container port is not in 1-65535");
  }
  if (m.protocol != "tcp" && m.protocol != "udp" && m.protocol != "sctp") {
    return bad("the protocol must be tcp, udp or sctp");
  }
  if (!m.host_ip.empty()) {
    unsigned char buffer[sizeof(in6_addr)];
    if (::inet_pton(AF_INET, m.host_ip.c_str(), buffer) != 1 &&
        ::inet_pton(AF_INET6, m.host_ip.c_str(), buffer) != 1) {
      return bad(fmt::format("host IP \"{}\" is not an IP address", m.host_ip));
    }
  }
  return okStatus();
}

nlohmann::json portMappingToJson(const PortMapping& m) {
  nlohmann::json j = {
      {"hostPort", m.host_port}, {"containerPort", m.container_port}, {"protocol", m.protocol}};
  if (!m.host_ip.empty()) j["hostIP"] = m.host_ip;
  return j;
}

Result<PortMapping> portMappingFromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("hostPort") || !j.contains("containerPort") ||
      !j["hostPort"].is_number_integer() || !j["containerPort"].is_number_integer()) {
    return makeError(fmt::format("port mapping {} lacks integer hostPort/containerPort; it was "
                                 "written by another program, remove the cache entry",
                                 j.dump()));
  }
  PortMapping m;
  m.host_port = j["hostPort"].get<int>();
  m.container_port = j["containerPort"].get<int>();
  if (j.contains("protocol") && j["protocol"].is_string()) m.protocol = j["protocol"];
  if (j.contains("hostIP") && j["hostIP"].is_string()) m.host_ip = j["hostIP"];
  return m;
}

Result<std::string> formatCniArgs(const std::vector<std::pair<std::string, std::string>>& args) {
  std::string out;
  for (const auto& [key, value] : args) {
    if (key.empty() || key.find_first_of(";=") != std::string::npos ||
        value.find_first_of(";=") != std::string::npos) {
      return makeError(fmt::format("CNI_ARGS entry \"{}={}\" is invalid: keys must be non-empty "
                                   "and neither keys nor values may contain ';' or '='; remove "
                                   "those characters",
                                   key, value));
    }
    if (!out.empty()) out += ';';
    out += key + "=" + value;
  }
  return out;
}

}  // namespace coral::cni
