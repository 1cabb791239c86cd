#include "policy/calico_render.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "policy/values.h"

namespace coral::policy {
namespace {

constexpr const char* kKindAnnotation = "coral/kind";
constexpr int kOrderDeny = 100;
constexpr int kOrderAllow = 200;
constexpr int kOrderIsolate = 300;
constexpr int kOrderPass = 1000;

// Calico selector string literals have no escapes; pick the other quote.
std::string literal(const std::string& value) {
  return value.find('\'') == std::string::npos ? "'" + value + "'" : "\"" + value + "\"";
}

std::string clusterSelector(const std::string& cluster) {
  return "coral.cluster == " + literal(cluster);
}

std::string selectorOf(const std::string& cluster, const Targets& targets) {
  std::string selector = clusterSelector(cluster);
  switch (targets.kind) {
    case Targets::Kind::All:
      break;
    case Targets::Kind::Names:
      if (targets.names.size() == 1) {
        selector += " && coral.node == " + literal(targets.names[0]);
      } else {
        std::string set;
        for (const auto& name : targets.names) set += (set.empty() ? "" : ", ") + literal(name);
        selector += " && coral.node in { " + set + " }";
      }
      break;
    case Targets::Kind::Role:
      selector += " && coral.role == " + literal(targets.role);
      break;
    case Targets::Kind::HostPort:
      selector += " && coral.role == 'notebook'";
      break;
  }
  return selector;
}

// Calico wants CIDRs; a bare address is a /32.
nlohmann::json netsOf(const std::vector<std::string>& from) {
  nlohmann::json nets = nlohmann::json::array();
  for (const auto& source : from) {
    auto cidr = parseCidr(source);
    nets.push_back(cidr ? cidr->str() : source);
  }
  return nets;
}

nlohmann::json portsOf(const std::vector<PortRange>& ports) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& range : ports) {
    if (range.first == range.last) {
      list.push_back(range.first);
    } else {
      list.push_back(fmt::format("{}:{}", range.first, range.last));
    }
  }
  return list;
}

// One rule per protocol branch (a Calico rule has a single protocol).
nlohmann::json rulesOf(const Match& match, const std::string& action) {
  nlohmann::json base = {{"action", action}};
  if (!match.from.empty()) base["source"] = {{"nets", netsOf(match.from)}};
  nlohmann::json rules = nlohmann::json::array();
  auto withPorts = [&](const char* protocol, const std::vector<PortRange>& ports) {
    if (ports.empty()) return;
    nlohmann::json rule = base;
    rule["protocol"] = protocol;
    rule["destination"] = {{"ports", portsOf(ports)}};
    rules.push_back(rule);
  };
  withPorts("TCP", match.tcp);
  withPorts("UDP", match.udp);
  if (match.icmp) {
    nlohmann::json rule = base;
    rule["protocol"] = "ICMP";
    rule["icmp"] = {{"type", match.icmp->type}};
    rules.push_back(rule);
  }
  if (!match.hasProtocol()) rules.push_back(base);
  return rules;
}

nlohmann::json resource(const std::string& cluster, const std::string& name,
                        const std::string& kind, int order, const std::string& selector,
                        nlohmann::json ingress) {
  return {
      {"apiVersion", "projectcalico.org/v3"},
      {"kind", "NetworkPolicy"},
      {"metadata",
       {{"name", name},
        {"namespace", calicoNamespace(cluster)},
        {"annotations", {{kKindAnnotation, kind}}}}},
      {"spec",
       {{"order", order},
        {"selector", selector},
        {"types", nlohmann::json::array({"Ingress"})},
        {"ingress", std::move(ingress)}}},
  };
}

void emitYaml(YAML::Emitter& out, const nlohmann::json& value) {
  if (value.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, item] : value.items()) {
      out << YAML::Key << key << YAML::Value;
      emitYaml(out, item);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& item : value) emitYaml(out, item);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    out << value.get<std::string>();
  } else if (value.is_number_integer()) {
    out << value.get<long long>();
  } else if (value.is_boolean()) {
    out << value.get<bool>();
  } else {
    out << value.dump();
  }
}

}  // namespace

std::string calicoNamespace(const std::string& cluster) { return "coral-" + cluster; }

bool expressibleInCalico(const Policy& policy) { return policy.match.macs.empty(); }

std::vector<nlohmann::json> calicoSupportResources(
    const std::string& cluster, const std::vector<std::string>& isolated_selectors,
    bool any_policy) {
  std::vector<nlohmann::json> resources;
  if (!any_policy) return resources;
  if (!isolated_selectors.empty()) {
    std::string selector;
    for (const auto& one : isolated_selectors) {
      std::string term = isolated_selectors.size() == 1 ? one : "(" + one + ")";
      if (selector.find(term) != std::string::npos) continue;  // same targets twice
      selector += (selector.empty() ? "" : " || ") + term;
    }
    resources.push_back(resource(cluster, "coral-isolate", "support", kOrderIsolate, selector,
                                 nlohmann::json::array({{{"action", "Deny"}}})));
  }
  resources.push_back(resource(cluster, "coral-pass", "support", kOrderPass,
                               clusterSelector(cluster),
                               nlohmann::json::array({{{"action", "Pass"}}})));
  return resources;
}

std::string calicoResourceKind(const nlohmann::json& resource) {
  auto annotations = resource.value(nlohmann::json::json_pointer("/metadata/annotations"),
                                    nlohmann::json::object());
  return annotations.value(kKindAnnotation, "");
}

std::vector<nlohmann::json> calicoResources(const std::string& cluster,
                                            const std::vector<Policy>& policies,
                                            int notebook_container_port) {
  std::vector<nlohmann::json> resources;
  std::vector<std::string> isolated;
  for (const auto& policy : policies) {
    if (!expressibleInCalico(policy)) continue;
    const std::string selector = selectorOf(cluster, policy.targets);
    if (policy.targets.kind == Targets::Kind::HostPort) {
      // After DNAT the packet carries the container port. allow-only becomes
      // "deny this port to everyone else" so that it adds no allowance of
      // its own (an Allow would bypass the node's allow-only policies).
      nlohmann::json rule = {
          {"action", "Deny"},
          {"protocol", "TCP"},
          {"destination", {{"ports", nlohmann::json::array({notebook_container_port})}}}};
      rule["source"] = {
          {policy.action == Action::Deny ? "nets" : "notNets", netsOf(policy.match.from)}};
      resources.push_back(resource(cluster, policy.name, "host-port", kOrderDeny, selector,
                                   nlohmann::json::array({rule})));
    } else if (policy.action == Action::Deny) {
      resources.push_back(resource(cluster, policy.name, "deny", kOrderDeny, selector,
                                   rulesOf(policy.match, "Deny")));
    } else {
      resources.push_back(resource(cluster, policy.name, "allow-only", kOrderAllow, selector,
                                   rulesOf(policy.match, "Allow")));
      isolated.push_back(selector);
    }
  }
  for (auto& support : calicoSupportResources(cluster, isolated, !resources.empty())) {
    resources.push_back(std::move(support));
  }
  return resources;
}

CalicoRendering renderCalico(const std::string& cluster, const std::vector<Policy>& policies,
                             int notebook_container_port) {
  CalicoRendering rendering;
  for (const auto& policy : policies) {
    rendering.where.emplace_back(policy.name,
                                 expressibleInCalico(policy) ? "calico" : "node-local iptables");
  }
  for (const auto& one : calicoResources(cluster, policies, notebook_container_port)) {
    YAML::Emitter out;
    emitYaml(out, one);
    rendering.yaml += "---\n";
    rendering.yaml += out.c_str();
    rendering.yaml += "\n";
  }
  return rendering;
}

}  // namespace coral::policy
