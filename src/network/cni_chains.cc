#include "network/cni_chains.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "network/host_port_access.h"
#include "network/iptables_exec.h"

namespace coral::network {
namespace {

bool isCandidate(const std::string& chain) {
  return chain == "CNI-FORWARD" || chain == "CNI-ADMIN" || chain.rfind("CNI-HOSTPORT-", 0) == 0 ||
         chain == kHostPortChain;
}

// The rule without its comment match: comments never change what a rule does.
std::vector<std::string> withoutComment(const std::vector<std::string>& spec) {
  std::vector<std::string> out;
  for (size_t i = 0; i < spec.size(); ++i) {
    if (i + 3 < spec.size() && spec[i] == "-m" && spec[i + 1] == "comment" &&
        spec[i + 2] == "--comment") {
      i += 3;
      continue;
    }
    out.push_back(spec[i]);
  }
  return out;
}

// Rules the plugins put into their skeleton chains themselves (portmap's
// mark-and-masquerade pair, firewall's jump to its admin chain). Anything
// else means the chain is in use.
bool isSkeletonRule(const IptablesRule& rule, const std::set<std::string>& candidates) {
  auto spec = withoutComment(rule.spec);
  if (spec.size() == 2 && spec[0] == "-j" && candidates.count(spec[1])) return true;
  if (rule.chain == "CNI-HOSTPORT-MASQ" && spec.size() == 6 && spec[0] == "-m" &&
      spec[1] == "mark" && spec[2] == "--mark" && spec[4] == "-j" && spec[5] == "MASQUERADE") {
    return true;
  }
  if (rule.chain == "CNI-HOSTPORT-SETMARK" && spec.size() == 4 && spec[0] == "-j" &&
      spec[1] == "MARK" && spec[2] == "--set-xmark") {
    return true;
  }
  return false;
}

std::string deleteLine(const IptablesRule& rule) {
  // `-S` prints rules in iptables-save syntax, so "-A" → "-D" is the exact delete.
  return "-D" + rule.line.substr(2);
}

}  // namespace

std::vector<std::string> planSkeletonCleanup(const IptablesTable& table) {
  const std::set<std::string> builtin(table.builtin_chains.begin(), table.builtin_chains.end());
  std::set<std::string> removable;
  for (const auto& chain : table.user_chains) {
    if (isCandidate(chain)) removable.insert(chain);
  }
  const std::set<std::string> candidates = removable;

  // Shrink until stable: a chain stays only if all its rules are skeleton
  // rules jumping to chains that also go, and only built-in chains or other
  // removable chains jump to it.
  bool changed = true;
  while (changed) {
    changed = false;
    for (auto it = removable.begin(); it != removable.end();) {
      const std::string& chain = *it;
      bool keep = false;
      for (const auto& rule : table.rules) {
        if (rule.chain == chain) {
          if (!isSkeletonRule(rule, candidates)) keep = true;
          const std::string target = rule.target();
          if (candidates.count(target) && !removable.count(target)) keep = true;
        } else if (rule.target() == chain && !builtin.count(rule.chain) &&
                   !removable.count(rule.chain)) {
          keep = true;
        }
        if (keep) break;
      }
      if (keep) {
        it = removable.erase(it);
        changed = true;
      } else {
        ++it;
      }
    }
  }
  if (removable.empty()) return {};

  std::vector<std::string> lines;
  for (const auto& rule : table.rules) {
    if (builtin.count(rule.chain) && removable.count(rule.target())) lines.push_back(deleteLine(rule));
  }
  for (const auto& rule : table.rules) {
    if (removable.count(rule.chain)) lines.push_back(deleteLine(rule));
  }
  for (const auto& chain : table.user_chains) {
    if (removable.count(chain)) lines.push_back("-X " + chain);
  }
  return lines;
}

Status removeEmptyCniChains() {
  std::string problems;
  for (const char* table : {"filter", "nat"}) {
    auto listing = listIptablesRules(table);
    if (!listing) return listing.error();
    auto lines = planSkeletonCleanup(parseIptablesRules(*listing));
    if (lines.empty()) continue;
    if (auto applied = applyIptablesBatch(table, lines); !applied) {
      // Nothing changed in that table (one transaction); most likely a
      // plugin added a rule meanwhile, so the chains are in use again.
      problems += fmt::format("{}{}", problems.empty() ? "" : "; ", applied.message());
    }
  }
  if (!problems.empty()) {
    return makeError(fmt::format("leftover CNI chains were not removed: {}; they are harmless, "
                                 "run the cleanup again once no container is attached",
                                 problems));
  }
  return okStatus();
}

}  // namespace coral::network
