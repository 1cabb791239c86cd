#include "network/ipv4.h"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace coral::network {

std::optional<uint32_t> parseIpv4(const std::string& text) {
  in_addr parsed{};
  if (::inet_pton(AF_INET, text.c_str(), &parsed) != 1) return std::nullopt;
  return ntohl(parsed.s_addr);
}

std::string formatIpv4(uint32_t address) {
  return fmt::format("{}.{}.{}.{}", address >> 24, (address >> 16) & 0xff, (address >> 8) & 0xff,
                     address & 0xff);
}

std::string Ipv4Prefix::toString() const { return fmt::format("{}/{}", formatIpv4(first()), length); }

Result<Ipv4Prefix> parseIpv4Prefix(const std::string& text, bool strict) {
  auto slash = text.find('/');
  auto invalid = [&](const std::string& why) {
    return makeError(fmt::format("\"{}\" is not a valid IPv4 subnet: {}; write it in CIDR form "
                                 "such as 10.213.0.0/24",
                                 text, why));
  };
  if (slash == std::string::npos) return invalid("the /prefix-length is missing");
  auto address = parseIpv4(text.substr(0, slash));
  if (!address) return invalid("the address part is not an IPv4 address");
  const std::string len_text = text.substr(slash + 1);
  if (len_text.empty() || len_text.size() > 2 ||
      len_text.find_first_not_of("0123456789") != std::string::npos) {
    return invalid("the prefix length is not a number");
  }
  int length = std::stoi(len_text);
  if (length > 32) return invalid("the prefix length is larger than 32");
  Ipv4Prefix prefix{*address, length};
  if (strict && prefix.first() != *address) {
    return makeError(fmt::format("\"{}\" is not a valid IPv4 subnet: it has host bits set; did "
                                 "you mean {}?",
                                 text, prefix.toString()));
  }
  prefix.address = prefix.first();
  return prefix;
}

std::optional<Ipv4Prefix> parseRouteDestination(const std::string& text) {
  if (text == "default") return Ipv4Prefix{0, 0};
  if (text.find('/') == std::string::npos) {
    auto address = parseIpv4(text);
    if (!address) return std::nullopt;
    return Ipv4Prefix{*address, 32};
  }
  auto prefix = parseIpv4Prefix(text, false);
  if (!prefix) return std::nullopt;
  return *prefix;
}

}  // namespace coral::network
