#include "network/egress_guard.h"

#include <mutex>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "network/iptables_exec.h"

namespace coral::network {
namespace {

// A daemon attaches several containers at once; the guard's checks and moves
// must not interleave (two moves would delete one rule twice).
std::mutex guard_mutex;

std::string guardComment(const std::string& subnet) {
  return fmt::format("coral: {} stays on this machine", subnet);
}

std::vector<std::string> withSpec(std::vector<std::string> head, const std::string& subnet) {
  auto spec = egressGuardRuleSpec(subnet);
  head.insert(head.end(), spec.begin(), spec.end());
  return head;
}

Result<bool> present(const std::string& subnet) {
  auto checked = runIptables("filter", withSpec({"-C", "FORWARD"}, subnet));
  if (!checked) return checked.error();
  return checked->exit_code == 0;
}

Status removeLocked(const std::string& subnet) {
  // One delete per copy, should a crashed run have added it twice.
  for (;;) {
    auto there = present(subnet);
    if (!there) return there.error();
    if (!*there) return okStatus();
    auto deleted = runIptables("filter", withSpec({"-D", "FORWARD"}, subnet));
    if (!deleted) return deleted.error();
    if (deleted->exit_code != 0) {
      return makeError(fmt::format("cannot remove the egress guard of subnet {} from FORWARD: {}",
                                   subnet, deleted->err));
    }
  }
}

// The guard must come before the CNI firewall plugin's jump, which accepts
// everything from the containers and which the plugin inserts first in
// FORWARD when it finds none.
Status place(const std::string& subnet, bool add_when_missing) {
  std::lock_guard lock(guard_mutex);
  auto listing = listIptablesRules("filter");
  if (!listing) return listing.error();
  const std::string comment = "\"" + guardComment(subnet) + "\"";
  std::optional<std::size_t> guard, cni_jump;
  std::size_t index = 0;
  std::istringstream lines(*listing);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("-A FORWARD ", 0) != 0) continue;
    if (!guard && line.find(comment) != std::string::npos) guard = index;
    if (!cni_jump && line.find("-j CNI-FORWARD") != std::string::npos) cni_jump = index;
    ++index;
  }
  if (guard && (!cni_jump || *guard < *cni_jump)) return okStatus();
  if (!guard && !add_when_missing) return okStatus();
  if (guard) {
    if (auto removed = removeLocked(subnet); !removed) return removed;
  }
  auto added = runIptables("filter", withSpec({"-I", "FORWARD", "1"}, subnet));
  if (!added) return added.error();
  if (added->exit_code != 0) {
    return makeError(fmt::format(
        "cannot add the egress guard of subnet {} to FORWARD: iptables said {}; check that the "
        "conntrack, comment and REJECT extensions exist in this kernel",
        subnet, added->err));
  }
  return okStatus();
}

}  // namespace

std::vector<std::string> egressGuardRuleSpec(const std::string& subnet) {
  // clang-format off
  return {"-s", subnet, "!", "-d", subnet,
          "-m", "conntrack", "--ctstate", "NEW",
          "-m", "comment", "--comment", guardComment(subnet),
          "-j", "REJECT", "--reject-with", "icmp-admin-prohibited"};
  // clang-format on
}

Status addEgressGuard(const std::string& subnet) { return place(subnet, true); }

Status keepEgressGuardFirst(const std::string& subnet) { return place(subnet, false); }

Status removeEgressGuard(const std::string& subnet) {
  std::lock_guard lock(guard_mutex);
  return removeLocked(subnet);
}

}  // namespace coral::network
