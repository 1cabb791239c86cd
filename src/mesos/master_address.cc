#include "mesos/master_address.h"

#include <charconv>

namespace coral::mesos {

std::string Endpoint::toString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string MasterSpec::zkConnectString() const {
  std::string out;
  for (const auto& server : zkServers) {
    if (!out.empty()) out += ',';
    out += server.toString();
  }
  return out;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '/')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = s.find(sep, start);
    parts.push_back(
        s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

}  // namespace

Result<Endpoint> parseHostPort(std::string_view text, std::uint16_t defaultPort) {
  Endpoint endpoint;
  endpoint.port = defaultPort;
  std::string_view portText;
  bool hasPort = false;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return makeError("address '" + std::string(text) + "': missing ']' after the IPv6 address");
    }
    endpoint.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return makeError("address '" + std::string(text) + "': expected ':<port>' after ']'");
      }
      portText = rest.substr(1);
      hasPort = true;
    }
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      return makeError("address '" + std::string(text) +
                       "': IPv6 addresses need brackets, e.g. [::1]:5050");
    }
    endpoint.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      portText = text.substr(colon + 1);
      hasPort = true;
    }
  }
  if (endpoint.host.empty()) {
    return makeError("address '" + std::string(text) + "': the host name is empty");
  }
  if (hasPort) {
    unsigned value = 0;
    const auto [ptr, ec] =
        std::from_chars(portText.data(), portText.data() + portText.size(), value);
    if (portText.empty() || ec != std::errc() || ptr != portText.data() + portText.size() ||
        value == 0 || value > 65535) {
      return makeError("address '" + std::string(text) + "': port '" + std::string(portText) +
                       "' is not a number between 1 and 65535");
    }
    endpoint.port = static_cast<std::uint16_t>(value);
  }
  return endpoint;
}

Result<MasterSpec> parseMasterSpec(std::string_view flag) {
  const std::string_view text = trim(flag);
  if (text.empty()) {
    return makeError(
        "--master is empty: give http://host:5050, a comma-separated list of "
        "masters, or zk://host:2181/mesos");
  }
  MasterSpec spec;
  if (text.starts_with("zk://")) {
    spec.kind = MasterSpec::Kind::kZooKeeper;
    std::string_view rest = text.substr(5);
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
      return makeError("--master '" + std::string(flag) +
                       "': a zk:// address needs the znode path of the masters, e.g. "
                       "zk://127.0.0.1:2181/mesos");
    }
    const std::string_view servers = rest.substr(0, slash);
    if (servers.find('@') != std::string_view::npos) {
      return makeError("--master '" + std::string(flag) +
                       "': ZooKeeper authentication (user:pass@) is not supported; use an "
                       "ensemble that allows reads of the Mesos znodes");
    }
    spec.zkPath = std::string(rest.substr(slash));
    for (std::string_view server : split(servers, ',')) {
      auto endpoint = parseHostPort(trim(server), 2181);
      if (!endpoint)
        return makeError("--master '" + std::string(flag) + "': " + endpoint.message());
      spec.zkServers.push_back(*endpoint);
    }
    return spec;
  }
  for (std::string_view item : split(text, ',')) {
    item = trim(item);
    if (item.starts_with("https://")) {
      return makeError("--master '" + std::string(item) +
                       "': https is not supported; the scheduler API is reached over plain "
                       "http (put a TLS proxy on loopback if the master requires TLS)");
    }
    if (item.starts_with("http://")) item.remove_prefix(7);
    if (item.find("://") != std::string_view::npos) {
      return makeError("--master '" + std::string(item) +
                       "': unknown scheme; use http://host:port or zk://host:port/path");
    }
    const std::size_t slash = item.find('/');
    if (slash != std::string_view::npos) item = item.substr(0, slash);
    auto endpoint = parseHostPort(item, kDefaultMasterPort);
    if (!endpoint) return makeError("--master '" + std::string(flag) + "': " + endpoint.message());
    spec.masters.push_back(*endpoint);
  }
  return spec;
}

Result<Endpoint> parseLocation(std::string_view location, const Endpoint& from) {
  std::string_view rest = trim(location);
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("//")) {
    rest.remove_prefix(2);
  } else if (rest.starts_with("/")) {
    return from;  // same master, other path: we only speak kSchedulerPath
  } else {
    return makeError("redirect Location '" + std::string(location) + "' from master " +
                     from.toString() + " is neither //host:port/path nor http://host:port/path");
  }
  const std::size_t slash = rest.find('/');
  auto endpoint = parseHostPort(rest.substr(0, slash), kDefaultMasterPort);
  if (!endpoint) {
    return makeError("redirect Location '" + std::string(location) + "' from master " +
                     from.toString() + ": " + endpoint.message());
  }
  return endpoint;
}

}  // namespace coral::mesos
