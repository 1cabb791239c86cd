#include "policy/values.h"

#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace coral::policy {
namespace {

std::optional<uint32_t> parseIpv4(const std::string& text) {
  // inet_pton accepts exactly the dotted-quad form (no octal, no short forms).
  in_addr addr{};
  if (::inet_pton(AF_INET, text.c_str(), &addr) != 1) return std::nullopt;
  return ntohl(addr.s_addr);
}

std::string formatIpv4(uint32_t value) {
  return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 255) + "." +
         std::to_string((value >> 8) & 255) + "." + std::to_string(value & 255);
}

uint32_t maskOf(int prefix) { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }

std::optional<int> parseDecimal(const std::string& text, int max) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > max) {
    return std::nullopt;
  }
  return value;
}

struct NamedIcmp {
  const char* name;
  int type;
};

// The ICMP type names iptables' icmp match knows for whole types (the
// per-code names such as "port-unreachable" select a code and are left out).
constexpr std::array<NamedIcmp, 13> kIcmpNames{{
    {"echo-reply", 0},
    {"destination-unreachable", 3},
    {"source-quench", 4},
    {"redirect", 5},
    {"echo-request", 8},
    {"router-advertisement", 9},
    {"router-solicitation", 10},
    {"time-exceeded", 11},
    {"parameter-problem", 12},
    {"timestamp-request", 13},
    {"timestamp-reply", 14},
    {"address-mask-request", 17},
    {"address-mask-reply", 18},
}};

}  // namespace

std::string Cidr::str() const { return address + "/" + std::to_string(prefix); }

std::optional<Cidr> parseCidr(const std::string& text) {
  auto slash = text.find('/');
  std::string address = text.substr(0, slash);
  if (!parseIpv4(address)) return std::nullopt;
  Cidr cidr{address, 32};
  if (slash != std::string::npos) {
    auto prefix = parseDecimal(text.substr(slash + 1), 32);
    if (!prefix) return std::nullopt;
    cidr.prefix = *prefix;
  }
  return cidr;
}

bool hasHostBits(const Cidr& cidr) {
  auto value = parseIpv4(cidr.address);
  return value && (*value & ~maskOf(cidr.prefix)) != 0;
}

std::string networkOf(const Cidr& cidr) {
  auto value = parseIpv4(cidr.address).value_or(0);
  return formatIpv4(value & maskOf(cidr.prefix)) + "/" + std::to_string(cidr.prefix);
}

std::optional<std::string> parseMac(const std::string& text) {
  if (text.size() != 17) return std::nullopt;
  std::string mac;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i % 3 == 2) {
      if (c != ':') return std::nullopt;
      mac += ':';
    } else {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
      mac += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return mac;
}

std::optional<IcmpType> parseIcmpType(const std::string& text) {
  for (const auto& named : kIcmpNames) {
    if (text == named.name) return IcmpType{named.type, named.name};
  }
  // 255 is iptables' "any" and not a real type, hence 0–254 (as in Calico).
  auto number = parseDecimal(text, 254);
  if (!number) return std::nullopt;
  for (const auto& named : kIcmpNames) {
    if (*number == named.type) return IcmpType{named.type, named.name};
  }
  return IcmpType{*number, ""};
}

std::string icmpTypeNames() {
  std::string names;
  for (const auto& named : kIcmpNames) {
    if (!names.empty()) names += ", ";
    names += named.name;
  }
  return names;
}

std::optional<PortRange> parsePortRange(const std::string& text) {
  auto dash = text.find('-');
  auto first = parseDecimal(text.substr(0, dash), 65535);
  if (!first || *first < 1) return std::nullopt;
  if (dash == std::string::npos) return PortRange{*first, *first};
  auto last = parseDecimal(text.substr(dash + 1), 65535);
  if (!last || *last < *first) return std::nullopt;
  return PortRange{*first, *last};
}

bool isDnsLabel(const std::string& text) {
  if (text.empty() || text.size() > 63) return false;
  for (char c : text) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return text.front() != '-' && text.back() != '-';
}

}  // namespace coral::policy
