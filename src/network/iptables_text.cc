#include "network/iptables_text.h"

#include <sstream>

namespace coral::network {

std::string IptablesRule::target() const {
  for (size_t i = 0; i + 1 < spec.size(); ++i) {
    if (spec[i] == "-j" || spec[i] == "-g" || spec[i] == "--jump" || spec[i] == "--goto") {
      return spec[i + 1];
    }
  }
  return "";
}

std::string IptablesRule::option(const std::string& name) const {
  for (size_t i = 0; i + 1 < spec.size(); ++i) {
    if (spec[i] == name) return spec[i + 1];
  }
  return "";
}

std::vector<std::string> IptablesRule::deleteArgs() const {
  std::vector<std::string> args{"-D", chain};
  args.insert(args.end(), spec.begin(), spec.end());
  return args;
}

std::vector<std::string> splitIptablesLine(const std::string& line) {
  std::vector<std::string> tokens;
  std::string current;
  bool in_token = false;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
        current += line[++i];
      } else if (c == '"') {
        quoted = false;
      } else {
        current += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      in_token = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_token) tokens.push_back(current);
      current.clear();
      in_token = false;
    } else {
      current += c;
      in_token = true;
    }
  }
  if (in_token) tokens.push_back(current);
  return tokens;
}

IptablesTable parseIptablesRules(const std::string& output) {
  IptablesTable table;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    auto tokens = splitIptablesLine(line);
    if (tokens.size() < 2) continue;
    if (tokens[0] == "-P") {
      table.builtin_chains.push_back(tokens[1]);
    } else if (tokens[0] == "-N") {
      table.user_chains.push_back(tokens[1]);
    } else if (tokens[0] == "-A") {
      IptablesRule rule;
      rule.chain = tokens[1];
      rule.spec.assign(tokens.begin() + 2, tokens.end());
      rule.line = line;
      table.rules.push_back(std::move(rule));
    }
  }
  return table;
}

}  // namespace coral::network
