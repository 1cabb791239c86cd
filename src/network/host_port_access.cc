#include "network/host_port_access.h"

#include <fmt/format.h>

#include "cni/attachment_cache.h"
#include "cni/cni_result.h"
#include "network/iptables_exec.h"
#include "network/port_holder.h"
#include "network/iptables_text.h"

namespace coral::network {
namespace {

const std::vector<std::string> kJump{"-m", "comment", "--comment",
                                     "coral: accept port-mapped connections", "-j", kHostPortChain};

std::string ruleComment(const std::string& network, const std::string& container_id) {
  return fmt::format("coral:{}:{}", network, container_id);
}

Status ensureChainAndJump() {
  auto created = runIptables("filter", {"-N", kHostPortChain});
  if (!created) return created.error();
  if (created->exit_code != 0 && created->err.find("exists") == std::string::npos) {
    return makeError(fmt::format("cannot create iptables chain {}: {}; check that iptables works "
                                 "(it needs root)",
                                 kHostPortChain, created->err));
  }
  std::vector<std::string> check{"-C", "FORWARD"};
  check.insert(check.end(), kJump.begin(), kJump.end());
  auto present = runIptables("filter", check);
  if (!present) return present.error();
  if (present->exit_code == 0) return okStatus();
  std::vector<std::string> append{"-A", "FORWARD"};
  append.insert(append.end(), kJump.begin(), kJump.end());
  auto added = runIptables("filter", append);
  if (!added) return added.error();
  if (added->exit_code != 0) {
    return makeError(fmt::format("cannot add the FORWARD jump to {}: {}", kHostPortChain, added->err));
  }
  return okStatus();
}

}  // namespace

std::vector<std::string> hostPortRuleSpec(const std::string& network, const std::string& container_id,
                                          const std::string& container_ip,
                                          const cni::PortMapping& mapping) {
  return {"-d",        container_ip + "/32",
          "-p",        mapping.protocol,
          "-m",        mapping.protocol,
          "--dport",   std::to_string(mapping.container_port),
          "-m",        "conntrack",
          "--ctstate", "DNAT",
          "-m",        "comment",
          "--comment", ruleComment(network, container_id),
          "-j",        "ACCEPT"};
}

Status allowHostPorts(const std::string& network, const std::string& container_id,
                      const std::string& container_ip, const std::vector<cni::PortMapping>& mappings) {
  if (mappings.empty()) return okStatus();
  if (auto ok = ensureChainAndJump(); !ok) return ok;
  for (const auto& mapping : mappings) {
    auto spec = hostPortRuleSpec(network, container_id, container_ip, mapping);
    std::vector<std::string> check{"-C", kHostPortChain};
    check.insert(check.end(), spec.begin(), spec.end());
    auto present = runIptables("filter", check);
    if (!present) return present.error();
    if (present->exit_code == 0) continue;
    std::vector<std::string> append{"-A", kHostPortChain};
    append.insert(append.end(), spec.begin(), spec.end());
    auto added = runIptables("filter", append);
    if (!added) return added.error();
    if (added->exit_code != 0) {
      return makeError(fmt::format("cannot accept forwarded connections to port {} of container "
                                   "{}: iptables said {}; check that the conntrack and comment "
                                   "matches exist in this kernel",
                                   mapping.container_port, container_id, added->err));
    }
  }
  return okStatus();
}

Status checkHostPorts(const std::string& network, const std::string& container_id,
                      const std::string& cni_cache_dir) {
  auto record = cni::readCacheRecord(cni_cache_dir, network, container_id, "eth0");
  if (!record) return record.error();
  if (!record->has_value() || (*record)->port_mappings.empty()) return okStatus();
  auto result = cni::parseResult((*record)->result);
  if (!result) return result.error();
  auto ip = result->firstIpv4();
  if (!ip) return okStatus();
  auto nat = listIptablesRules("nat");
  if (!nat) return nat.error();
  for (const auto& mapping : (*record)->port_mappings) {
    const std::string destination = fmt::format("{}:{}", *ip, mapping.container_port);
    bool found = false;
    for (const auto& rule : dnatRulesForPort(*nat, mapping.host_port)) {
      if (rule.find("--to-destination " + destination) != std::string::npos) found = true;
    }
    if (mapping.protocol != "tcp") found = true;  // dnatRulesForPort reads TCP rules only
    auto spec = hostPortRuleSpec(network, container_id, *ip, mapping);
    std::vector<std::string> check{"-C", kHostPortChain};
    check.insert(check.end(), spec.begin(), spec.end());
    auto accepted = runIptables("filter", check);
    if (!accepted) return accepted.error();
    if (!found || accepted->exit_code != 0) {
      return makeError(fmt::format("host port {} of container {} on network {} is broken: its {} "
                                   "rule is missing; detach and attach the container again",
                                   mapping.host_port, container_id, network,
                                   found ? "FORWARD accept (" + std::string(kHostPortChain) + ")"
                                         : "DNAT to " + destination));
    }
  }
  return okStatus();
}

Status revokeHostPorts(const std::string& network, const std::string& container_id) {
  auto listing = listIptablesRules("filter");
  if (!listing) return listing.error();
  const std::string comment = ruleComment(network, container_id);
  for (const auto& rule : parseIptablesRules(*listing).rules) {
    if (rule.chain != kHostPortChain || rule.option("--comment") != comment) continue;
    auto removed = runIptables("filter", rule.deleteArgs());
    if (!removed) return removed.error();
    if (removed->exit_code != 0) {
      return makeError(fmt::format("cannot remove iptables rule `{}` of container {}: {}; delete "
                                   "it by hand with iptables -D",
                                   rule.line, container_id, removed->err));
    }
  }
  return okStatus();
}

}  // namespace coral::network
