#include "policy/iptables_enforcer.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "os/subprocess.h"
#include "policy/values.h"

namespace coral::policy {

struct IptablesEnforcer::State {
  std::set<std::string> owned_chains;
  std::vector<std::string> owned_jumps;               // "-A FORWARD ..." lines as saved
  std::map<std::string, std::string> foreign_chains;  // CORAL-* chain -> someone else's comment
};

namespace {

// The text of `--comment` in an iptables-save line ("" when absent); saved
// comments are quoted when they contain anything but plain characters.
std::string commentOf(const std::string& line) {
  const std::string flag = "--comment ";
  auto at = line.find(flag);
  if (at == std::string::npos) return "";
  at += flag.size();
  if (at < line.size() && line[at] == '"') {
    std::string text;
    for (size_t i = at + 1; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] == '\\' && i + 1 < line.size()) ++i;
      text += line[i];
    }
    return text;
  }
  auto end = line.find(' ', at);
  return line.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool isInterfaceName(const std::string& name) {
  static const std::regex kInterface(R"(^[A-Za-z0-9_.@-]{1,15}$)");
  return std::regex_match(name, kInterface);
}

// Everything that ends up in rule text is checked again here: Policy values
// may have been built by code rather than by the parser.
Status checkInputs(const std::string& cluster, const std::vector<Policy>& policies,
                   const std::vector<NodeEndpoint>& nodes, const std::string& notebook_ip) {
  if (!isDnsLabel(cluster)) {
    return makeError(
        fmt::format("cluster name \"{}\" cannot name firewall chains (use lower-case "
                    "letters, digits and '-', at most 63 characters)",
                    cluster));
  }
  for (const auto& policy : policies) {
    if (!isDnsLabel(policy.name)) {
      return makeError(
          fmt::format("policy name \"{}\" cannot be used in a rule comment (use lower-case "
                      "letters, digits and '-')",
                      policy.name));
    }
    for (const auto& source : policy.match.from) {
      if (!parseCidr(source)) {
        return makeError(
            fmt::format("policy \"{}\": from \"{}\" is not an IPv4 address or CIDR (fix the "
                        "spec; it should have been rejected by parsePolicies)",
                        policy.name, source));
      }
    }
    for (const auto& mac : policy.match.macs) {
      if (parseMac(mac) != mac) {
        return makeError(
            fmt::format("policy \"{}\": mac \"{}\" is not a lower-case MAC address (use the "
                        "value parsePolicies returns)",
                        policy.name, mac));
      }
    }
  }
  for (const auto& node : nodes) {
    if (!isInterfaceName(node.host_veth)) {
      return makeError(
          fmt::format("node \"{}\": host veth \"{}\" is not an interface name (the network "
                      "attachment must report the host side of the node's veth)",
                      node.name, node.host_veth));
    }
  }
  if (!notebook_ip.empty() &&
      (!parseCidr(notebook_ip) || notebook_ip.find('/') != std::string::npos)) {
    return makeError(
        fmt::format("notebook address \"{}\" is not an IPv4 address (pass the notebook "
                    "node's address on the calico network, or \"\" when there is none)",
                    notebook_ip));
  }
  return okStatus();
}

}  // namespace

IptablesEnforcer::IptablesEnforcer(std::string cluster) : cluster_(std::move(cluster)) {}

Result<IptablesEnforcer::State> IptablesEnforcer::readState() const {
  auto saved = os::runChecked({"iptables-save", "-t", "filter"});
  if (!saved) {
    return makeError("cannot read the firewall with iptables-save: " + saved.message() +
                     " (Coral needs root and the iptables package)");
  }
  State state;
  const std::string prefix = commentPrefix(cluster_);
  std::istringstream lines(*saved);
  std::string line;
  while (std::getline(lines, line)) {
    if (!startsWith(line, "-A ")) continue;
    auto end = line.find(' ', 3);
    const std::string chain = line.substr(3, end - 3);
    const std::string comment = commentOf(line);
    const bool ours = startsWith(comment, prefix);
    if (chain == "FORWARD" || chain == "OUTPUT") {
      if (!ours) continue;
      state.owned_jumps.push_back(line);
      // The target of our own jump is ours even while it holds no rule.
      auto target = line.rfind(" -j ");
      if (target != std::string::npos && startsWith(line.substr(target + 4), "CORAL-")) {
        state.owned_chains.insert(line.substr(target + 4));
      }
    } else if (startsWith(chain, "CORAL-")) {
      if (ours) {
        state.owned_chains.insert(chain);
      } else {
        state.foreign_chains.emplace(chain, comment.empty() ? "(no comment)" : comment);
      }
    }
  }
  return state;
}

Status IptablesEnforcer::apply(const std::vector<Policy>& policies,
                               const std::vector<NodeEndpoint>& nodes, int notebook_host_port,
                               const std::string& notebook_ip) {
  if (auto status = checkInputs(cluster_, policies, nodes, notebook_ip); !status) return status;
  return replaceWith(planIptables(cluster_, policies, nodes, notebook_host_port, notebook_ip));
}

Status IptablesEnforcer::removeAll() {
  if (!isDnsLabel(cluster_)) return checkInputs(cluster_, {}, {}, "");
  return replaceWith(IptablesPlan{});
}

Result<std::vector<std::string>> IptablesEnforcer::listChains() const {
  auto state = readState();
  if (!state) return state.error();
  return std::vector<std::string>(state->owned_chains.begin(), state->owned_chains.end());
}

Status IptablesEnforcer::replaceWith(const IptablesPlan& plan) {
  // Another program (dockerd, CNI plugins) may change FORWARD between our
  // read and our write; the transaction then fails as a whole and is retried
  // from a fresh read.
  Status status;
  for (int attempt = 0; attempt < 3; ++attempt) {
    status = replaceOnce(plan);
    if (status) return status;
  }
  return status;
}

Status IptablesEnforcer::replaceOnce(const IptablesPlan& plan) {
  auto state = readState();
  if (!state) return state.error();

  std::set<std::string> wanted(plan.chains.begin(), plan.chains.end());
  if (wanted.size() != plan.chains.size()) {
    return makeError(
        fmt::format("cluster \"{}\": two nodes map to the same firewall chain name (rename "
                    "one of the nodes)",
                    cluster_));
  }
  for (const auto& chain : plan.chains) {
    auto foreign = state->foreign_chains.find(chain);
    if (foreign != state->foreign_chains.end()) {
      return makeError(
          fmt::format("cluster \"{}\": firewall chain {} already holds rules that are not this "
                      "cluster's (comment \"{}\"); refusing to overwrite them (rename the "
                      "cluster, or remove the other cluster's rules)",
                      cluster_, chain, foreign->second));
    }
  }

  // Order inside the transaction: declare (create or flush) our chains,
  // delete our old jumps, drop chains no longer wanted, fill, jump.
  std::string input = "*filter\n";
  for (const auto& chain : plan.chains) input += ":" + chain + " - [0:0]\n";
  for (const auto& jump : state->owned_jumps) input += "-D" + jump.substr(2) + "\n";
  for (const auto& chain : state->owned_chains) {
    if (wanted.count(chain)) continue;
    input += "-F " + chain + "\n";
    input += "-X " + chain + "\n";
  }
  for (const auto& rule : plan.rules) input += rule + "\n";
  for (const auto& jump : plan.jumps) input += jump + "\n";
  input += "COMMIT\n";

  os::ProcessOptions options;
  options.stdin_data = input;
  auto run = os::runProcess({"iptables-restore", "-w", "10", "--noflush"}, options);
  if (!run) return run.error();
  if (run->exit_code != 0) {
    // iptables-restore names the failing line by number; quote it.
    std::string quoted_line;
    std::smatch m;
    static const std::regex kLine(R"(line (\d+))");
    if (std::regex_search(run->err, m, kLine)) {
      int number = std::stoi(m[1].str());
      std::istringstream lines(input);
      std::string text;
      for (int i = 1; std::getline(lines, text); ++i) {
        if (i == number) quoted_line = fmt::format(" [line {}: {}]", number, text);
      }
    }
    std::string err = run->err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return makeError(
        fmt::format("cluster \"{}\": iptables-restore rejected the policy rules: {}{} (the "
                    "firewall is unchanged; check that the kernel has the conntrack, mac, "
                    "multiport and REJECT matches)",
                    cluster_, err, quoted_line));
  }
  return okStatus();
}

}  // namespace coral::policy
