// Syntax of the values a policy carries (IPv4 addresses and CIDRs, MAC
// addresses, ports, ICMP types): one definition shared by the spec parser and
// the renderers, so what the parser accepts is exactly what they can emit.
#pragma once

#include <optional>
#include <string>

#include "policy/policy.h"

namespace coral::policy {

struct Cidr {
  std::string address;  // dotted quad
  int prefix = 32;
  std::string str() const;  // "a.b.c.d/p"
};

// Accepts "a.b.c.d" (as /32) or "a.b.c.d/p". Returns nullopt when malformed.
std::optional<Cidr> parseCidr(const std::string& text);

// True when the address has bits set beyond the prefix (10.0.0.5/24).
bool hasHostBits(const Cidr& cidr);

// The network address of a CIDR ("10.0.0.0/24" for 10.0.0.5/24).
std::string networkOf(const Cidr& cidr);

// Six hex pairs separated by ':'; returns the lower-case form or nullopt.
std::optional<std::string> parseMac(const std::string& text);

// An ICMP type by iptables name (echo-request …) or number 0–254.
std::optional<IcmpType> parseIcmpType(const std::string& text);

// The names accepted by parseIcmpType, comma separated (for error messages).
std::string icmpTypeNames();

// "80" or "8000-8100", each port 1–65535, first <= last.
std::optional<PortRange> parsePortRange(const std::string& text);

// True for a name usable in iptables comments, chain names (after
// shortening), Calico resource names and label values: a DNS label
// ([a-z0-9] and '-', starting and ending alphanumeric, at most 63 chars).
bool isDnsLabel(const std::string& text);

}  // namespace coral::policy
