// Reads `iptables -S` output into chains and rules (argv tokens, quotes
// undone) so rules can be matched and deleted exactly.
// Pure parsing: must never run iptables itself.
#pragma once

#include <string>
#include <vector>

namespace coral::network {

struct IptablesRule {
  std::string chain;
  std::vector<std::string> spec;  // tokens after "-A CHAIN"
  std::string line;               // the original line, for messages

  // The -j/-g target, or "" when the rule has none.
  std::string target() const;
  // Value following `option` (e.g. "--dport"), or "" when absent.
  std::string option(const std::string& option) const;
  // Argv to delete this rule: {"-D", chain, spec...}.
  std::vector<std::string> deleteArgs() const;
};

struct IptablesTable {
  std::vector<std::string> builtin_chains;  // from "-P CHAIN POLICY"
  std::vector<std::string> user_chains;     // from "-N CHAIN"
  std::vector<IptablesRule> rules;          // in order
};

// Splits one line like the shell would for iptables' own quoting
// ("..." with \" and \\ escapes).
std::vector<std::string> splitIptablesLine(const std::string& line);

IptablesTable parseIptablesRules(const std::string& output);

}  // namespace coral::network
