// Says who already holds a host port ("pid 1234 (python3)", or a DNAT rule)
// so a "port is taken" error can name the culprit.
// Must never change anything: it only reads /proc and `iptables -t nat -S`.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace coral::network {

// E.g. "pid 1234 (python3)" or "iptables nat rule `-A DOCKER ... --dport 8888 ...`";
// std::nullopt when nothing holds the TCP port.
std::optional<std::string> describePortHolder(int port);

// Socket inodes listening on `port` in a /proc/net/tcp or tcp6 text.
std::vector<unsigned long> listeningSocketInodes(const std::string& proc_net_tcp, int port);

// DNAT rules in `iptables -t nat -S` output that match TCP destination port `port`
// (--dport, or --dports lists and ranges).
std::vector<std::string> dnatRulesForPort(const std::string& nat_rules, int port);

}  // namespace coral::network
