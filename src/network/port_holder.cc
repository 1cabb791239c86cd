#include "network/port_holder.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "network/iptables_exec.h"
#include "network/iptables_text.h"

namespace coral::network {
namespace {

constexpr const char* kListenState = "0A";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool portListMatches(const std::string& list, int port) {
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto colon = item.find(':');
    try {
      if (colon == std::string::npos) {
        if (std::stoi(item) == port) return true;
      } else if (std::stoi(item.substr(0, colon)) <= port && port <= std::stoi(item.substr(colon + 1))) {
        return true;
      }
    } catch (...) {
      // Service names instead of numbers: not ours to resolve.
    }
  }
  return false;
}

// pid → comm for processes with a socket:[inode] link among their fds.
std::vector<std::string> processesOwning(const std::set<unsigned long>& inodes) {
  std::vector<std::string> owners;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return owners;
  while (dirent* entry = ::readdir(proc)) {
    const std::string pid = entry->d_name;
    if (pid.empty() || !std::all_of(pid.begin(), pid.end(), ::isdigit)) continue;
    const std::string fd_dir = "/proc/" + pid + "/fd";
    DIR* fds = ::opendir(fd_dir.c_str());
    if (fds == nullptr) continue;  // exited, or not ours to read
    bool owns = false;
    while (dirent* fd = ::readdir(fds)) {
      char target[128];
      const std::string link = fd_dir + "/" + fd->d_name;
      ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      target[n] = '\0';
      unsigned long inode = 0;
      if (std::sscanf(target, "socket:[%lu]", &inode) == 1 && inodes.count(inode)) {
        owns = true;
        break;
      }
    }
    ::closedir(fds);
    if (!owns) continue;
    std::string comm = slurp("/proc/" + pid + "/comm");
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    owners.push_back(fmt::format("pid {} ({})", pid, comm.empty() ? "?" : comm));
  }
  ::closedir(proc);
  std::sort(owners.begin(), owners.end());
  return owners;
}

}  // namespace

std::vector<unsigned long> listeningSocketInodes(const std::string& proc_net_tcp, int port) {
  std::vector<unsigned long> inodes;
  std::istringstream in(proc_net_tcp);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmit, uid, timeout;
    unsigned long inode = 0;
    if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmit >> uid >>
          timeout >> inode)) {
      continue;
    }
    auto colon = local.rfind(':');
    if (colon == std::string::npos || state != kListenState) continue;
    unsigned long local_port = std::strtoul(local.c_str() + colon + 1, nullptr, 16);
    if (static_cast<int>(local_port) == port) inodes.push_back(inode);
  }
  return inodes;
}

std::vector<std::string> dnatRulesForPort(const std::string& nat_rules, int port) {
  std::vector<std::string> matches;
  for (const auto& rule : parseIptablesRules(nat_rules).rules) {
    if (rule.target() != "DNAT") continue;
    const std::string protocol = rule.option("-p");
    if (!protocol.empty() && protocol != "tcp") continue;
    const std::string dport = rule.option("--dport");
    const std::string dports = rule.option("--dports");
    if ((!dport.empty() && portListMatches(dport, port)) ||
        (!dports.empty() && portListMatches(dports, port))) {
      matches.push_back(rule.line);
    }
  }
  return matches;
}

std::optional<std::string> describePortHolder(int port) {
  std::set<unsigned long> inodes;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    for (auto inode : listeningSocketInodes(slurp(file), port)) inodes.insert(inode);
  }
  std::vector<std::string> holders;
  if (!inodes.empty()) {
    holders = processesOwning(inodes);
    if (holders.empty()) {
      holders.push_back(fmt::format("a listening socket (inode {}) of a process Coral cannot see",
                                    *inodes.begin()));
    }
  }
  if (auto nat = listIptablesRules("nat"); nat) {
    for (const auto& line : dnatRulesForPort(*nat, port)) {
      holders.push_back(fmt::format("iptables nat rule `{}`", line));
    }
  }
  if (holders.empty()) return std::nullopt;
  std::string joined;
  for (const auto& holder : holders) joined += (joined.empty() ? "" : ", ") + holder;
  return joined;
}

}  // namespace coral::network
