// Firewall policy value types: what a `policies:` entry of a cluster spec
// means, independent of how it is enforced (host iptables, Calico, or
// iptables inside a node). Every module of src/policy/ speaks these types.
//
// Semantics (shared by every backend):
//   * A Match selects packets: source in `from` (if given) AND source MAC in
//     `macs` (if given) AND (no protocol given OR any protocol branch matches:
//     tcp to one of `tcp`, udp to one of `udp`, icmp of type `icmp`).
//   * deny: matching packets to the targeted nodes are refused.
//   * allow-only: a node targeted by allow-only policies admits replies to its
//     own connections plus the union of what those policies allow (additive,
//     like Kubernetes NetworkPolicies); everything else to it is dropped.
//     deny policies are evaluated first, so a denied source stays denied.
//   * host-port: the same, for clients of the notebook's published host port
//     (matched after DNAT); only `from` is meaningful there.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace coral::policy {

// Where a value came from in the spec file, 1-based, for error messages.
struct SourcePos {
  int line = 0;
  int column = 0;
  bool operator==(const SourcePos&) const = default;
};

// Which nodes a policy applies to.
struct Targets {
  enum class Kind { All, Names, Role, HostPort };
  Kind kind = Kind::All;
  std::vector<std::string> names;   // Kind::Names
  std::vector<SourcePos> name_pos;  // position of each name, same order
  std::string role;                 // Kind::Role: "worker" | "notebook"
  int host_port = 0;                // Kind::HostPort
  SourcePos pos;                    // the `nodes:` / `host-port:` value
  bool operator==(const Targets&) const = default;
};

struct PortRange {
  int first = 0;
  int last = 0;  // == first for a single port
  bool operator==(const PortRange&) const = default;
};

struct IcmpType {
  int type = 0;      // 0–254
  std::string name;  // canonical iptables name, empty when given as a number without one
  bool operator==(const IcmpType&) const = default;
};

struct Match {
  std::vector<std::string> from;  // IPv4 addresses and CIDRs, as written (validated)
  std::vector<std::string> macs;  // lower-case aa:bb:cc:dd:ee:ff
  std::vector<PortRange> tcp;
  std::vector<PortRange> udp;
  std::optional<IcmpType> icmp;
  bool hasProtocol() const { return !tcp.empty() || !udp.empty() || icmp.has_value(); }
  bool operator==(const Match&) const = default;
};

enum class Action { Deny, AllowOnly };

struct Policy {
  std::string name;
  Targets targets;
  Action action = Action::Deny;
  Match match;
  std::string file;  // spec file name, for error messages
  SourcePos pos;     // the policy's `name:` value
  bool operator==(const Policy&) const = default;
};

// A node of the cluster as the spec knows it (for validating targets).
struct NodeRef {
  std::string name;
  std::string role;  // "worker" | "notebook"
};

// A running node as the network sees it (for enforcement on the host).
struct NodeEndpoint {
  std::string name;
  std::string role;
  std::string ip;         // the node's address on the calico network
  std::string mac;        // the node's eth0 MAC
  std::string host_veth;  // host-side interface of the node's veth
};

// True when `policy` applies to a node with this name and role (never for
// host-port policies, which apply to a published port, not to a node).
bool appliesTo(const Policy& policy, const std::string& node_name, const std::string& node_role);

}  // namespace coral::policy
