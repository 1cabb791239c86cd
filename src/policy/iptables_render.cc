#include "policy/iptables_render.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdint>

#include "policy/values.h"

namespace coral::policy {
namespace {

// FNV-1a: stable across platforms and releases (std::hash is neither).
uint32_t fnv1a(const std::string& text) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

// Keeps characters iptables shows unquoted; the hash keeps names distinct.
std::string readable(const std::string& text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    out += plain ? c : '_';
  }
  return out;
}

std::string chainName(const std::string& cluster, const std::string& kind, const std::string& key,
                      const std::string& label) {
  uint32_t hash = fnv1a(cluster + '\n' + kind + '\n' + key);
  return fmt::format("CORAL-{}-{}-{:04x}", readable(cluster, 8), readable(label, 8), hash & 0xffff);
}

// iptables comments are limited to 255 bytes; the prefix (which identifies
// the cluster) always survives.
std::string comment(const std::string& cluster, const std::vector<std::string>& policy_names) {
  std::string text = commentPrefix(cluster);
  for (size_t i = 0; i < policy_names.size(); ++i) text += (i ? "," : "") + policy_names[i];
  if (text.size() > 255) text = text.substr(0, 252) + "...";
  return fmt::format("-m comment --comment \"{}\"", text);
}

std::string portList(const std::vector<PortRange>& ports) {
  std::string list;
  for (const auto& range : ports) {
    if (!list.empty()) list += ',';
    list += range.first == range.last ? std::to_string(range.first)
                                      : fmt::format("{}:{}", range.first, range.last);
  }
  return list;
}

struct Branch {
  std::string spec;  // protocol part of the match, empty for "any packet"
  bool tcp = false;
};

// multiport takes at most 15 ports, a range counting as two.
void addPortBranches(const std::string& proto, const std::vector<PortRange>& ports,
                     std::vector<Branch>& branches) {
  std::vector<PortRange> chunk;
  int weight = 0;
  auto flush = [&] {
    if (chunk.empty()) return;
    std::string spec = chunk.size() == 1
                           ? fmt::format(" -p {} --dport {}", proto, portList(chunk))
                           : fmt::format(" -p {} -m multiport --dports {}", proto, portList(chunk));
    branches.push_back({spec, proto == "tcp"});
    chunk.clear();
    weight = 0;
  };
  for (const auto& range : ports) {
    int w = range.first == range.last ? 1 : 2;
    if (weight + w > 15) flush();
    chunk.push_back(range);
    weight += w;
  }
  flush();
}

std::vector<Branch> branchesOf(const Match& match) {
  std::vector<Branch> branches;
  addPortBranches("tcp", match.tcp, branches);
  addPortBranches("udp", match.udp, branches);
  if (match.icmp) {
    const IcmpType& icmp = *match.icmp;
    branches.push_back({fmt::format(" -p icmp --icmp-type {}",
                                    icmp.name.empty() ? std::to_string(icmp.type) : icmp.name),
                        false});
  }
  if (branches.empty()) branches.push_back({"", false});
  return branches;
}

enum class Verdict { Reject, Return };

// One rule per (source, mac, protocol branch); REJECT answers TCP with a
// reset and everything else with port-unreachable so denied clients fail
// fast instead of timing out.
void emitMatch(std::vector<std::string>& rules, const std::string& chain,
               const std::string& cluster, const Policy& policy, Verdict verdict,
               bool include_mac) {
  const Match& match = policy.match;
  if (!match.macs.empty() && !include_mac) return;  // can never match host-originated packets
  const std::string tag = comment(cluster, {policy.name});
  std::vector<std::string> sources = match.from.empty() ? std::vector<std::string>{""} : match.from;
  std::vector<std::string> macs = match.macs.empty() ? std::vector<std::string>{""} : match.macs;
  for (const auto& source : sources) {
    for (const auto& mac : macs) {
      std::string head = "-A " + chain;
      if (!source.empty()) head += " -s " + source;
      if (!mac.empty()) head += " -m mac --mac-source " + mac;
      for (const auto& branch : branchesOf(match)) {
        if (verdict == Verdict::Return) {
          rules.push_back(fmt::format("{}{} {} -j RETURN", head, branch.spec, tag));
        } else if (branch.tcp) {
          rules.push_back(
              fmt::format("{}{} {} -j REJECT --reject-with tcp-reset", head, branch.spec, tag));
        } else {
          if (branch.spec.empty()) {
            rules.push_back(
                fmt::format("{} -p tcp {} -j REJECT --reject-with tcp-reset", head, tag));
          }
          rules.push_back(fmt::format("{}{} {} -j REJECT --reject-with icmp-port-unreachable", head,
                                      branch.spec, tag));
        }
      }
    }
  }
}

std::vector<std::string> namesOf(const std::vector<const Policy*>& policies) {
  std::vector<std::string> names;
  for (const auto* policy : policies) names.push_back(policy->name);
  return names;
}

// Deny rules first (a denied source stays denied even on an allowed port),
// then the union of what the allow-only policies admit, then DROP.
void emitNodeChain(IptablesPlan& plan, const std::string& chain, const std::string& cluster,
                   const std::vector<const Policy*>& deny, const std::vector<const Policy*>& allow,
                   bool include_mac) {
  plan.chains.push_back(chain);
  for (const auto* policy : deny)
    emitMatch(plan.rules, chain, cluster, *policy, Verdict::Reject, include_mac);
  if (allow.empty()) return;
  const std::string tag = comment(cluster, namesOf(allow));
  plan.rules.push_back(
      fmt::format("-A {} -m conntrack --ctstate ESTABLISHED,RELATED {} -j RETURN", chain, tag));
  for (const auto* policy : allow)
    emitMatch(plan.rules, chain, cluster, *policy, Verdict::Return, include_mac);
  plan.rules.push_back(fmt::format("-A {} {} -j DROP", chain, tag));
}

}  // namespace

std::string nodeChainName(const std::string& cluster, const std::string& node) {
  return chainName(cluster, "node", node, node);
}

std::string nodeHostChainName(const std::string& cluster, const std::string& node) {
  return chainName(cluster, "node-from-host", node, node);
}

std::string hostPortChainName(const std::string& cluster, int host_port) {
  return chainName(cluster, "host-port", std::to_string(host_port),
                   "hp" + std::to_string(host_port));
}

std::string commentPrefix(const std::string& cluster) { return "coral:" + cluster + ":"; }

IptablesPlan planIptables(const std::string& cluster, const std::vector<Policy>& policies,
                          const std::vector<NodeEndpoint>& nodes, int notebook_host_port,
                          const std::string& notebook_ip) {
  IptablesPlan plan;
  std::vector<std::string> jumps;  // in final top-of-chain order

  // Host ports, in order of first appearance.
  std::vector<int> ports;
  for (const auto& policy : policies) {
    if (policy.targets.kind != Targets::Kind::HostPort) continue;
    bool seen = false;
    for (int port : ports) seen = seen || port == policy.targets.host_port;
    if (!seen) ports.push_back(policy.targets.host_port);
  }
  for (int port : ports) {
    std::vector<const Policy*> deny, allow;
    for (const auto& policy : policies) {
      if (policy.targets.kind != Targets::Kind::HostPort || policy.targets.host_port != port)
        continue;
      (policy.action == Action::Deny ? deny : allow).push_back(&policy);
    }
    const std::string chain = hostPortChainName(cluster, port);
    plan.chains.push_back(chain);
    // Every packet here is TCP (the jump says so); REJECT still wants the
    // rule itself to say -p tcp before it accepts tcp-reset.
    for (const auto* policy : deny) {
      for (const auto& source : policy->match.from) {
        plan.rules.push_back(fmt::format("-A {} -s {} -p tcp {} -j REJECT --reject-with tcp-reset",
                                         chain, source, comment(cluster, {policy->name})));
      }
    }
    if (!allow.empty()) {
      for (const auto* policy : allow) {
        for (const auto& source : policy->match.from) {
          plan.rules.push_back(fmt::format("-A {} -s {} {} -j RETURN", chain, source,
                                           comment(cluster, {policy->name})));
        }
      }
      plan.rules.push_back(
          fmt::format("-A {} {} -j DROP", chain, comment(cluster, namesOf(allow))));
    }
    // --ctdir ORIGINAL: only client-to-server packets; the notebook's replies
    // carry the same DNAT state but must not be filtered by client address.
    std::string destination;
    if (port == notebook_host_port && !notebook_ip.empty())
      destination = " -d " + notebook_ip + "/32";
    std::vector<const Policy*> all = deny;
    all.insert(all.end(), allow.begin(), allow.end());
    std::string match = fmt::format(
        "-p tcp{} -m conntrack --ctstate DNAT --ctdir ORIGINAL --ctorigdstport {} {} -j {}",
        destination, port, comment(cluster, namesOf(all)), chain);
    jumps.push_back("FORWARD 1 " + match);
    jumps.push_back("OUTPUT 1 " + match);
  }

  for (const auto& node : nodes) {
    if (node.host_veth.empty()) continue;
    std::vector<const Policy*> deny, allow;
    bool has_mac = false;
    for (const auto& policy : policies) {
      if (!appliesTo(policy, node.name, node.role)) continue;
      (policy.action == Action::Deny ? deny : allow).push_back(&policy);
      has_mac = has_mac || !policy.match.macs.empty();
    }
    if (deny.empty() && allow.empty()) continue;
    std::vector<const Policy*> all = deny;
    all.insert(all.end(), allow.begin(), allow.end());
    const std::string tag = comment(cluster, namesOf(all));

    const std::string chain = nodeChainName(cluster, node.name);
    emitNodeChain(plan, chain, cluster, deny, allow, /*include_mac=*/true);
    jumps.push_back(fmt::format("FORWARD 1 -o {} {} -j {}", node.host_veth, tag, chain));
    if (!has_mac) {
      jumps.push_back(fmt::format("OUTPUT 1 -o {} {} -j {}", node.host_veth, tag, chain));
      continue;
    }
    // Without its MAC rules the chain may be empty (a node with MAC denies
    // only): then host traffic needs no chain at all, and an empty chain
    // would carry no comment to tell whose it is.
    const std::string host_chain = nodeHostChainName(cluster, node.name);
    const size_t rules_before = plan.rules.size();
    emitNodeChain(plan, host_chain, cluster, deny, allow, /*include_mac=*/false);
    if (plan.rules.size() == rules_before) {
      plan.chains.pop_back();
      continue;
    }
    jumps.push_back(fmt::format("OUTPUT 1 -o {} {} -j {}", node.host_veth, tag, host_chain));
  }

  // Inserting each at position 1 reverses the order; insert last-first so the
  // chains read in plan order at the top of FORWARD and OUTPUT.
  for (auto it = jumps.rbegin(); it != jumps.rend(); ++it) plan.jumps.push_back("-I " + *it);
  return plan;
}

std::string formatRestoreInput(const IptablesPlan& plan) {
  std::string text = "*filter\n";
  for (const auto& chain : plan.chains) text += ":" + chain + " - [0:0]\n";
  for (const auto& rule : plan.rules) text += rule + "\n";
  for (const auto& jump : plan.jumps) text += jump + "\n";
  text += "COMMIT\n";
  return text;
}

std::string renderIptables(const std::string& cluster, const std::vector<Policy>& policies,
                           const std::vector<NodeEndpoint>& nodes, int notebook_host_port,
                           const std::string& notebook_ip) {
  return formatRestoreInput(
      planIptables(cluster, policies, nodes, notebook_host_port, notebook_ip));
}

bool enforcedAtSender(const Policy& policy) {
  return policy.action == Action::Deny && !policy.match.macs.empty() &&
         policy.targets.kind != Targets::Kind::HostPort;
}

std::string renderSenderMacRules(const std::string& cluster, const std::vector<Policy>& policies,
                                 const std::vector<NodeEndpoint>& nodes) {
  std::string text;
  for (const auto& policy : policies) {
    if (!enforcedAtSender(policy)) continue;
    // The sender matches its own MAC by choosing its lines; the rules match the rest.
    Policy rest = policy;
    rest.match.macs.clear();
    for (const auto& node : nodes) {
      if (node.ip.empty() || !appliesTo(policy, node.name, node.role)) continue;
      std::vector<std::string> rules;
      const std::string to_node = std::string(kSenderMacChain) + " -d " + node.ip + "/32";
      emitMatch(rules, to_node, cluster, rest, Verdict::Reject, /*include_mac=*/false);
      for (const auto& mac : policy.match.macs) {
        for (const auto& rule : rules) text += mac + " " + rule + "\n";
      }
    }
  }
  return text;
}

}  // namespace coral::policy
