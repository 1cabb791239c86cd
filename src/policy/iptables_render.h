// Turns policies into host iptables rules (filter table) for one cluster.
// Pure: no system access, so the whole rule set can be checked in unit tests
// and applied in one iptables-restore transaction by IptablesEnforcer.
//
// Layout (all rules end in RETURN, REJECT or DROP; nothing is ever ACCEPTed,
// so Coral policies only narrow what the rest of FORWARD — CNI, Docker —
// would let through):
//   FORWARD -o <host_veth>  -> node chain     (traffic routed to the node)
//   OUTPUT  -o <host_veth>  -> node chain     (traffic from the host itself)
//   FORWARD/OUTPUT -p tcp, conntrack DNAT, original port P -> host-port chain
// The jumps are inserted at the top of FORWARD and OUTPUT. `-m mac` is only
// valid on the FORWARD path; a node with MAC rules gets a second chain
// without them for OUTPUT (host-originated packets carry no source MAC).
#pragma once

#include <string>
#include <vector>

#include "policy/policy.h"

namespace coral::policy {

// Chain names: "CORAL-<cluster≤8>-<node≤8>-<hash4>" (≤ 28 characters, the
// iptables limit). The readable parts are truncated; the 16-bit hash covers
// the full cluster name, the chain's kind and the full node name, so
// truncated names stay distinct. Ownership is never inferred from a name:
// every rule carries the comment "coral:<cluster>:<policies>".
std::string nodeChainName(const std::string& cluster, const std::string& node);
std::string nodeHostChainName(const std::string& cluster, const std::string& node);
std::string hostPortChainName(const std::string& cluster, int host_port);

// "coral:<cluster>:" — the prefix of every comment this cluster's rules carry.
std::string commentPrefix(const std::string& cluster);

struct IptablesPlan {
  std::vector<std::string> chains;  // user chains to create (or flush)
  std::vector<std::string> rules;   // "-A <chain> ..." lines
  std::vector<std::string> jumps;   // "-I FORWARD 1 ..." / "-I OUTPUT 1 ..." lines, in order
};

// Policies are applied to the endpoints given (nodes not running are simply
// absent). Host-port policies match `--ctorigdstport <host-port>`; when the
// port is the notebook's, the jump also requires `-d <notebook_ip>`.
IptablesPlan planIptables(const std::string& cluster, const std::vector<Policy>& policies,
                          const std::vector<NodeEndpoint>& nodes, int notebook_host_port,
                          const std::string& notebook_ip);

// The plan as iptables-restore input (to be used with --noflush).
std::string formatRestoreInput(const IptablesPlan& plan);

std::string renderIptables(const std::string& cluster, const std::vector<Policy>& policies,
                           const std::vector<NodeEndpoint>& nodes, int notebook_host_port,
                           const std::string& notebook_ip);

// MAC deny rules for nodes on a routed network whose hosts Coral does not
// own (Mesos agents with Calico). There a node never sees another machine's
// MAC (every packet reaches it from the host's veth), so `deny: {mac: M}` is
// enforced by the sender: the node whose own MAC is M rejects, in its own
// network namespace, what it would send to the targets. One line per rule:
//   "<mac> -A CORAL-MAC -d <target-ip>/32 [-s ...] [protocol] <comment> -j REJECT ..."
// which the node's entrypoint filters by its MAC and loads into CORAL-MAC
// (jumped to from OUTPUT). allow-only policies with MACs cannot be enforced
// this way (a sender cannot know it is the only one allowed) and are skipped.
inline constexpr const char* kSenderMacChain = "CORAL-MAC";
std::string renderSenderMacRules(const std::string& cluster, const std::vector<Policy>& policies,
                                 const std::vector<NodeEndpoint>& nodes);
bool enforcedAtSender(const Policy& policy);  // a deny policy with MACs, on nodes

}  // namespace coral::policy
