// IPv4 address and prefix arithmetic for subnet checks and config
// generation. Pure functions: must never consult or change the system.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"

namespace coral::network {

struct Ipv4Prefix {
  uint32_t address = 0;  // host byte order; the network address when strict
  int length = 0;

  uint32_t mask() const { return length == 0 ? 0 : ~uint32_t{0} << (32 - length); }
  uint32_t first() const { return address & mask(); }
  uint32_t last() const { return first() | ~mask(); }
  bool contains(uint32_t ip) const { return (ip & mask()) == first(); }
  bool contains(const Ipv4Prefix& other) const {
    return other.length >= length && contains(other.first());
  }
  bool overlaps(const Ipv4Prefix& other) const {
    return first() <= other.last() && other.first() <= last();
  }
  std::string toString() const;  // "a.b.c.d/len" with the network address
};

std::optional<uint32_t> parseIpv4(const std::string& text);
std::string formatIpv4(uint32_t address);

// "a.b.c.d/len" only; with `strict`, host bits must be zero.
Result<Ipv4Prefix> parseIpv4Prefix(const std::string& text, bool strict);

// As `ip` prints destinations: "default", "a.b.c.d" (a /32) or "a.b.c.d/len";
// std::nullopt for anything else (IPv6, "unreachable" keywords).
std::optional<Ipv4Prefix> parseRouteDestination(const std::string& text);

}  // namespace coral::network
