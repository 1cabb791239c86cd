#include "policy/spec_parser.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <regex>
#include <set>

#include "policy/values.h"

namespace coral::policy {
namespace {

constexpr const char* kPolicyKeys = "name, nodes, host-port, deny, allow-only";
constexpr const char* kMatchKeys = "from, mac, tcp, udp, icmp";

SourcePos posOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {};
  return SourcePos{mark.line + 1, mark.column + 1};
}

// A scalar's text quoted for a message; non-scalars are described by kind.
std::string quoted(const YAML::Node& node) {
  if (node.IsScalar()) return fmt::format("\"{}\"", node.Scalar());
  if (node.IsSequence()) return "(a list)";
  if (node.IsMap()) return "(a map)";
  return "(empty)";
}

// Scalars or a list of scalars, each with its own node (for positions).
std::vector<YAML::Node> scalarOrList(const YAML::Node& node) {
  std::vector<YAML::Node> items;
  if (node.IsSequence()) {
    for (const auto& item : node) items.push_back(item);
  } else {
    items.push_back(node);
  }
  return items;
}

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  std::vector<Policy> parseAll(const YAML::Node& policies) {
    std::vector<Policy> result;
    if (!policies.IsDefined() || policies.IsNull()) return result;
    if (!policies.IsSequence()) {
      report(
          posOf(policies), "policies",
          "is not a list (expected a list of policies, each a map with name, nodes or host-port, "
          "and deny or allow-only)");
      return result;
    }
    std::map<std::string, int> seen_names;   // name -> line of first use
    std::map<int, Policy> allow_only_ports;  // host port -> its allow-only policy
    int index = 0;
    for (const auto& item : policies) {
      ++index;
      auto policy = parseOne(item, index);
      if (!policy) continue;
      auto [it, inserted] = seen_names.emplace(policy->name, policy->pos.line);
      if (!inserted) {
        report(policy->pos, who_,
               fmt::format("name is already used by the policy at line {} (policy names must be "
                           "unique; rename one of them)",
                           it->second));
        continue;
      }
      // Two allow-only lists for one port would have to be merged into one
      // Calico rule; ask the author to merge them instead.
      if (policy->targets.kind == Targets::Kind::HostPort && policy->action == Action::AllowOnly) {
        auto [port_it, first] = allow_only_ports.emplace(policy->targets.host_port, *policy);
        if (!first) {
          report(policy->targets.pos, who_,
                 fmt::format(
                     "host-port {} already has an allow-only policy, \"{}\" at line {} (merge "
                     "the from lists into one policy)",
                     policy->targets.host_port, port_it->second.name, port_it->second.pos.line));
          continue;
        }
      }
      result.push_back(std::move(*policy));
    }
    return result;
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  void report(SourcePos pos, const std::string& who, const std::string& what) {
    errors_.push_back(fmt::format("{}:{}:{}: {}: {}", file_, pos.line, pos.column, who, what));
  }
  void fail(const YAML::Node& at, const std::string& what) {
    report(posOf(at), who_, what);
    ++failures_;
  }

  std::optional<Policy> parseOne(const YAML::Node& item, int index) {
    who_ = fmt::format("policy #{}", index);
    failures_ = 0;
    if (!item.IsMap()) {
      fail(item, fmt::format("is not a map (expected the keys {})", kPolicyKeys));
      return std::nullopt;
    }
    Policy policy;
    policy.file = file_;
    policy.pos = posOf(item);

    // The name comes first so that every other message can name the policy.
    // std::optional: a default YAML::Node counts as defined, and assigning to a
    // node that already refers to one would overwrite the referenced node.
    std::optional<YAML::Node> name_node, nodes_node, port_node, deny_node, allow_node;
    std::set<std::string> keys_seen;
    for (const auto& entry : item) {
      const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
      if (key == "name" && entry.second.IsScalar() && !entry.second.Scalar().empty()) {
        who_ = fmt::format("policy \"{}\"", entry.second.Scalar());
      }
    }
    for (const auto& entry : item) {
      const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
      if (!keys_seen.insert(key).second) {
        fail(entry.first, fmt::format("key \"{}\" appears twice (keep one)", key));
        continue;
      }
      if (key == "name") {
        name_node.emplace(entry.second);
      } else if (key == "nodes") {
        nodes_node.emplace(entry.second);
      } else if (key == "host-port") {
        port_node.emplace(entry.second);
      } else if (key == "deny") {
        deny_node.emplace(entry.second);
      } else if (key == "allow-only") {
        allow_node.emplace(entry.second);
      } else {
        fail(entry.first,
             fmt::format("unknown key {} (expected {})", quoted(entry.first), kPolicyKeys));
      }
    }

    if (!name_node) {
      fail(item, "missing name (every policy needs a unique name, e.g. name: block-attacker)");
    } else if (!name_node->IsScalar() || !isDnsLabel(name_node->Scalar())) {
      fail(*name_node, fmt::format("name {} is not a valid policy name (use lower-case letters, "
                                   "digits and '-', at most 63 characters, e.g. block-attacker)",
                                   quoted(*name_node)));
    } else if (name_node->Scalar().rfind("coral-", 0) == 0) {
      fail(*name_node, fmt::format("name {} starts with \"coral-\", which is reserved for the "
                                   "policies Coral adds itself (choose another name)",
                                   quoted(*name_node)));
    } else {
      policy.name = name_node->Scalar();
      policy.pos = posOf(*name_node);
    }

    if (nodes_node && port_node) {
      fail(*port_node,
           "has both nodes and host-port (a policy applies either to nodes or to the "
           "published host port; split it in two)");
    } else if (nodes_node) {
      parseNodes(*nodes_node, policy.targets);
    } else if (port_node) {
      parseHostPort(*port_node, policy.targets);
    } else {
      fail(item,
           "missing nodes or host-port (say where the policy applies: nodes: all, a list of "
           "node names, {role: worker}, or host-port: 8888)");
    }

    const bool host_port = policy.targets.kind == Targets::Kind::HostPort;
    if (deny_node && allow_node) {
      fail(*allow_node,
           "has both deny and allow-only (a policy does one of them; split it in two)");
    } else if (deny_node) {
      policy.action = Action::Deny;
      parseMatch(*deny_node, "deny", host_port, policy.match);
    } else if (allow_node) {
      policy.action = Action::AllowOnly;
      parseMatch(*allow_node, "allow-only", host_port, policy.match);
    } else {
      fail(item,
           "missing deny or allow-only (say what the policy does, e.g. deny: {from: 10.0.0.5})");
    }

    if (failures_ > 0) return std::nullopt;
    return policy;
  }

  void parseNodes(const YAML::Node& node, Targets& targets) {
    targets.pos = posOf(node);
    static const std::regex kRoleString(R"(^role:\s*(\S+)$)");
    const std::string expected =
        "expected all, a list of node names, or {role: worker} / {role: notebook}";
    if (node.IsScalar()) {
      std::smatch m;
      const std::string& text = node.Scalar();
      if (text == "all") {
        targets.kind = Targets::Kind::All;
      } else if (std::regex_match(text, m, kRoleString)) {
        parseRole(node, m[1].str(), targets);
      } else if (text.empty()) {
        fail(node, fmt::format("nodes is empty ({})", expected));
      } else {
        // A single node name written without brackets.
        targets.kind = Targets::Kind::Names;
        targets.names.push_back(text);
        targets.name_pos.push_back(posOf(node));
      }
    } else if (node.IsSequence()) {
      targets.kind = Targets::Kind::Names;
      if (node.size() == 0) fail(node, fmt::format("nodes is an empty list ({})", expected));
      for (const auto& item : node) {
        if (!item.IsScalar() || item.Scalar().empty()) {
          fail(item,
               fmt::format("nodes entry {} is not a node name (list node names like worker-1)",
                           quoted(item)));
          continue;
        }
        bool repeated = false;
        for (const auto& name : targets.names) repeated = repeated || name == item.Scalar();
        if (repeated) {
          fail(item, fmt::format("nodes lists {} twice (list each node once)", quoted(item)));
          continue;
        }
        targets.names.push_back(item.Scalar());
        targets.name_pos.push_back(posOf(item));
      }
    } else if (node.IsMap()) {
      bool has_role = false;
      for (const auto& entry : node) {
        const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
        if (key == "role" && entry.second.IsScalar()) {
          has_role = true;
          parseRole(entry.second, entry.second.Scalar(), targets);
        } else {
          fail(entry.first,
               fmt::format("nodes has unknown key {} ({})", quoted(entry.first), expected));
          has_role = true;  // already reported
        }
      }
      if (!has_role) fail(node, fmt::format("nodes is an empty map ({})", expected));
    } else {
      fail(node, fmt::format("nodes is empty ({})", expected));
    }
  }

  void parseRole(const YAML::Node& at, const std::string& role, Targets& targets) {
    if (role != "worker" && role != "notebook") {
      fail(at, fmt::format("nodes.role \"{}\" is not a role (expected worker or notebook)", role));
      return;
    }
    targets.kind = Targets::Kind::Role;
    targets.role = role;
  }

  void parseHostPort(const YAML::Node& node, Targets& targets) {
    targets.kind = Targets::Kind::HostPort;
    targets.pos = posOf(node);
    auto range = node.IsScalar() ? parsePortRange(node.Scalar()) : std::nullopt;
    if (!range || range->first != range->last) {
      fail(node, fmt::format("host-port {} is not a port (expected one port 1-65535, e.g. 8888)",
                             quoted(node)));
      return;
    }
    targets.host_port = range->first;
  }

  void parseMatch(const YAML::Node& node, const std::string& section, bool host_port,
                  Match& match) {
    if (!node.IsMap() || node.size() == 0) {
      fail(node, fmt::format("{} {} is not a non-empty map (name at least one of {}, e.g. {}: "
                             "{{from: 10.0.0.5}})",
                             section, quoted(node), host_port ? "from" : kMatchKeys, section));
      return;
    }
    std::set<std::string> keys_seen;
    for (const auto& entry : node) {
      const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
      const std::string field = section + "." + key;
      if (!keys_seen.insert(key).second) {
        fail(entry.first, fmt::format("{} appears twice (keep one)", field));
        continue;
      }
      const bool known =
          key == "from" || key == "mac" || key == "tcp" || key == "udp" || key == "icmp";
      if (!known) {
        fail(entry.first, fmt::format("{} has unknown key {} (expected {})", section,
                                      quoted(entry.first), kMatchKeys));
        continue;
      }
      if (host_port && key != "from") {
        fail(entry.first,
             fmt::format("{} cannot be used with host-port (the published port is already the "
                         "match; only from applies)",
                         field));
        continue;
      }
      const YAML::Node& value = entry.second;
      if (value.IsSequence() && value.size() == 0) {
        fail(value,
             fmt::format("{} is an empty list (list at least one value or remove {})", field, key));
        continue;
      }
      if (key == "icmp") {
        parseIcmp(value, field, match);
        continue;
      }
      for (const auto& item : scalarOrList(value)) {
        if (!item.IsScalar()) {
          fail(item, fmt::format("{} {} is not a single value (write a value or a flat list)",
                                 field, quoted(item)));
          continue;
        }
        if (key == "from") parseFrom(item, field, match);
        if (key == "mac") parseMacValue(item, field, match);
        if (key == "tcp") parsePort(item, field, match.tcp);
        if (key == "udp") parsePort(item, field, match.udp);
      }
    }
  }

  void parseFrom(const YAML::Node& item, const std::string& field, Match& match) {
    const std::string& text = item.Scalar();
    auto cidr = parseCidr(text);
    if (!cidr) {
      fail(item, fmt::format("{} \"{}\" is not an IPv4 address or CIDR (expected e.g. 10.0.0.5 or "
                             "10.0.0.0/24)",
                             field, text));
    } else if (hasHostBits(*cidr)) {
      fail(item, fmt::format("{} \"{}\" has host bits set (did you mean {}?)", field, text,
                             networkOf(*cidr)));
    } else {
      match.from.push_back(text);
    }
  }

  void parseMacValue(const YAML::Node& item, const std::string& field, Match& match) {
    auto mac = parseMac(item.Scalar());
    if (!mac) {
      fail(item, fmt::format("{} \"{}\" is not a MAC address (expected six hex pairs like "
                             "02:00:0d:4c:00:03)",
                             field, item.Scalar()));
      return;
    }
    match.macs.push_back(*mac);
  }

  void parsePort(const YAML::Node& item, const std::string& field, std::vector<PortRange>& ports) {
    auto range = parsePortRange(item.Scalar());
    if (!range) {
      fail(item, fmt::format("{} \"{}\" is not a port or port range (expected 1-65535, e.g. 80 or "
                             "8000-8100)",
                             field, item.Scalar()));
      return;
    }
    ports.push_back(*range);
  }

  void parseIcmp(const YAML::Node& value, const std::string& field, Match& match) {
    auto type = value.IsScalar() ? parseIcmpType(value.Scalar()) : std::nullopt;
    if (!type) {
      fail(value, fmt::format("{} {} is not an ICMP type (expected one of {}, or a number 0-254)",
                              field, quoted(value), icmpTypeNames()));
      return;
    }
    match.icmp = *type;
  }

  std::string file_;
  std::string who_;
  int failures_ = 0;
  std::vector<std::string> errors_;
};

}  // namespace

Result<std::vector<Policy>> parsePolicies(const YAML::Node& policies,
                                          const std::string& file_name) {
  Parser parser(file_name);
  auto result = parser.parseAll(policies);
  if (!parser.errors().empty()) {
    std::string message;
    for (const auto& line : parser.errors()) {
      if (!message.empty()) message += '\n';
      message += line;
    }
    return makeError(message);
  }
  return result;
}

}  // namespace coral::policy
