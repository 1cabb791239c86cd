#include "daemon/policy_manager.h"

#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "os/atomic_file.h"
#include "policy/calico_render.h"
#include "policy/calico_store.h"
#include "policy/iptables_render.h"
#include "policy/spec_parser.h"
#include "policy/targets.h"

namespace coral::daemon {
namespace {

std::string emit(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return out.c_str();
}

// The source map of each parsed policy, by name.
std::map<std::string, YAML::Node> sourcesByName(const YAML::Node& list) {
  std::map<std::string, YAML::Node> sources;
  if (!list.IsSequence()) return sources;
  for (const auto& item : list) {
    if (item.IsMap() && item["name"] && item["name"].IsScalar()) {
      sources.emplace(item["name"].Scalar(), YAML::Clone(item));
    }
  }
  return sources;
}

std::vector<policy::Policy> valuesOf(const std::vector<ManagedPolicy>& set) {
  std::vector<policy::Policy> values;
  for (const auto& managed : set) values.push_back(managed.policy);
  return values;
}

// Checks rules that span policies (unique names, one allow-only list per
// host port) by re-parsing the combined set.
Status checkCombined(const std::vector<ManagedPolicy>& set) {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const auto& managed : set) list.push_back(managed.source);
  auto reparsed = policy::parsePolicies(YAML::Load(emit(list)), "policies");
  if (!reparsed) return reparsed.error();
  return okStatus();
}

// What enforcement depends on besides the policies.
std::string topologyKey(const PolicyTopology& topology) {
  std::string key = std::to_string(topology.notebook_host_port);
  for (const auto& e : topology.endpoints) {
    key += fmt::format("|{} {} {} {} {}", e.name, e.role, e.ip, e.mac, e.host_veth);
  }
  return key;
}

}  // namespace

nlohmann::json yamlToJson(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return nullptr;
  if (node.IsSequence()) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& item : node) array.push_back(yamlToJson(item));
    return array;
  }
  if (node.IsMap()) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& entry : node) object[entry.first.Scalar()] = yamlToJson(entry.second);
    return object;
  }
  const std::string& text = node.Scalar();
  if (node.Tag() != "!") {  // unquoted
    long long number = 0;
    if (YAML::convert<long long>::decode(node, number) && !text.empty() &&
        text.find_first_not_of("-0123456789") == std::string::npos) {
      return number;
    }
    if (text == "true") return true;
    if (text == "false") return false;
  }
  return text;
}

PolicyManager::PolicyManager(std::string path, std::string cluster, PolicyEnforcement enforcement)
    : path_(std::move(path)),
      cluster_(cluster),
      enforcer_(std::move(cluster)),
      enforcement_(std::move(enforcement)) {}

Result<std::vector<ManagedPolicy>> PolicyManager::parse(const YAML::Node& list,
                                                        const std::string& file,
                                                        const std::string& origin) {
  auto parsed = policy::parsePolicies(list, file);
  if (!parsed) return parsed.error();
  auto sources = sourcesByName(list);
  std::vector<ManagedPolicy> result;
  for (auto& value : *parsed) {
    YAML::Node source = sources[value.name];
    result.push_back(ManagedPolicy{std::move(value), source, origin});
  }
  return result;
}

Result<std::vector<ManagedPolicy>> PolicyManager::parseSpecPolicies(
    const std::string& yaml_text, const std::string& file_name,
    const std::vector<policy::NodeRef>& nodes) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return makeError(fmt::format("{}: {}", file_name, e.what()));
  }
  if (!root.IsMap() || !root["policies"]) return std::vector<ManagedPolicy>{};
  auto parsed = parse(root["policies"], file_name, "spec");
  if (!parsed) return parsed.error();
  if (auto valid = policy::validateTargets(valuesOf(*parsed), nodes); !valid) return valid.error();
  return parsed;
}

Status PolicyManager::load() {
  if (!std::filesystem::exists(path_)) return okStatus();
  auto text = os::readFile(path_);
  if (!text) return text.error();
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return makeError(fmt::format("{}: {}", path_, e.what()));
  }
  std::vector<ManagedPolicy> loaded;
  for (const char* origin : {"spec", "api"}) {
    if (!root.IsMap() || !root[origin]) continue;
    auto parsed = parse(root[origin], path_, origin);
    if (!parsed) return parsed.error();
    for (auto& managed : *parsed) loaded.push_back(std::move(managed));
  }
  policies_ = std::move(loaded);
  return okStatus();
}

std::vector<policy::Policy> PolicyManager::values() const { return valuesOf(policies_); }

Status PolicyManager::persist(const std::vector<ManagedPolicy>& set) const {
  YAML::Node root(YAML::NodeType::Map);
  root["spec"] = YAML::Node(YAML::NodeType::Sequence);
  root["api"] = YAML::Node(YAML::NodeType::Sequence);
  for (const auto& managed : set) root[managed.origin].push_back(managed.source);
  return os::writeFileAtomically(path_, emit(root) + "\n", 0600);
}

Status PolicyManager::enforce(const std::vector<ManagedPolicy>& set,
                              const PolicyTopology& topology) {
  if (!enforcement_.host_iptables) return enforceRemotely(set, topology);
  std::string notebook_ip;
  for (const auto& endpoint : topology.endpoints) {
    if (endpoint.role == "notebook") notebook_ip = endpoint.ip;
  }
  auto values = valuesOf(set);
  if (auto applied = enforcer_.apply(values, topology.endpoints, topology.notebook_host_port,
                                     notebook_ip);
      !applied) {
    applied_key_.reset();
    return makeError(fmt::format("cannot apply the firewall policies: {}", applied.message()));
  }
  applied_key_ = topologyKey(topology);
  return okStatus();
}

// Calico selects nodes by label, so etcd is rewritten only when the policies
// change; the senders' MAC rules name addresses, so they also follow the nodes.
// etcd goes first: it is the write that can fail for reasons outside this host.
Status PolicyManager::enforceRemotely(const std::vector<ManagedPolicy>& set,
                                      const PolicyTopology& topology) {
  const auto values = valuesOf(set);
  std::string policies_key;
  for (const auto& managed : set) policies_key += emit(managed.source) + "\n";
  if (!enforcement_.calico_etcd.empty() && calico_key_ != policies_key) {
    calico_key_.reset();
    if (auto written = policy::writeCalicoToEtcd(enforcement_.calico_etcd, cluster_, values);
        !written) {
      return makeError(fmt::format(
          "cannot write the Calico policies to etcd at {}: {}; check that etcd answers there "
          "(`coral up --backend mesos --calico-etcd URL`)",
          enforcement_.calico_etcd, written.message()));
    }
    calico_key_ = policies_key;
  }
  const std::string mac_key = policies_key + topologyKey(topology);
  if (!enforcement_.sender_mac_rules.empty() && mac_rules_key_ != mac_key) {
    mac_rules_key_.reset();
    const std::string rules = policy::renderSenderMacRules(cluster_, values, topology.endpoints);
    if (auto written = os::writeFileAtomically(enforcement_.sender_mac_rules, rules, 0644); !written) {
      return makeError(fmt::format("cannot write the nodes' MAC rules: {}", written.message()));
    }
    mac_rules_key_ = mac_key;
  }
  return okStatus();
}

Status PolicyManager::commit(std::vector<ManagedPolicy> next, const PolicyTopology& topology) {
  if (auto combined = checkCombined(next); !combined) return combined;
  if (auto valid = policy::validateTargets(valuesOf(next), topology.nodes); !valid) return valid;
  if (auto enforced = enforce(next, topology); !enforced) {
    // Put the previous rules back: all of the change or none of it.
    if (auto back = enforce(policies_, topology); !back) {
      spdlog::error("cannot restore the previous firewall policies: {}", back.message());
    }
    return enforced;
  }
  if (auto saved = persist(next); !saved) {
    (void)enforce(policies_, topology);
    return saved;
  }
  policies_ = std::move(next);
  return okStatus();
}

Status PolicyManager::replaceSpecPolicies(std::vector<ManagedPolicy> policies,
                                          const PolicyTopology& topology) {
  std::set<std::string> names;
  for (const auto& managed : policies) names.insert(managed.policy.name);
  std::vector<ManagedPolicy> next;
  for (const auto& managed : policies_) {
    if (managed.origin == "api" && !names.count(managed.policy.name)) next.push_back(managed);
  }
  // Spec policies first, in spec order.
  next.insert(next.begin(), policies.begin(), policies.end());
  return commit(std::move(next), topology);
}

Status PolicyManager::merge(std::vector<ManagedPolicy> policies, const PolicyTopology& topology) {
  std::vector<ManagedPolicy> next = policies_;
  for (auto& incoming : policies) {
    auto it = std::find_if(next.begin(), next.end(), [&](const ManagedPolicy& m) {
      return m.policy.name == incoming.policy.name;
    });
    if (it != next.end()) {
      *it = std::move(incoming);
    } else {
      next.push_back(std::move(incoming));
    }
  }
  return commit(std::move(next), topology);
}

Status PolicyManager::remove(const std::string& name, const PolicyTopology& topology, bool* found) {
  std::vector<ManagedPolicy> next;
  *found = false;
  for (const auto& managed : policies_) {
    if (managed.policy.name == name) {
      *found = true;
    } else {
      next.push_back(managed);
    }
  }
  if (!*found) return okStatus();
  // Removing needs no target validation (nodes may have gone meanwhile).
  if (auto enforced = enforce(next, topology); !enforced) return enforced;
  if (auto saved = persist(next); !saved) return saved;
  policies_ = std::move(next);
  return okStatus();
}

Status PolicyManager::refresh(const PolicyTopology& topology, bool force) {
  if (force) {
    applied_key_.reset();
    calico_key_.reset();
    mac_rules_key_.reset();
  }
  if (!enforcement_.host_iptables) return enforceRemotely(policies_, topology);
  if (applied_key_ && *applied_key_ == topologyKey(topology)) return okStatus();
  return enforce(policies_, topology);
}

Status PolicyManager::removeAll() {
  applied_key_.reset();
  calico_key_.reset();
  mac_rules_key_.reset();
  if (!enforcement_.host_iptables) {
    if (!enforcement_.sender_mac_rules.empty()) {
      (void)os::writeFileAtomically(enforcement_.sender_mac_rules, "", 0644);
    }
    if (enforcement_.calico_etcd.empty()) return okStatus();
    if (auto removed = policy::writeCalicoToEtcd(enforcement_.calico_etcd, cluster_, {}); !removed) {
      return makeError(fmt::format("cannot remove the cluster's Calico policies from etcd at {}: {}",
                                   enforcement_.calico_etcd, removed.message()));
    }
    return okStatus();
  }
  return enforcer_.removeAll();
}

std::string PolicyManager::enforcementOf(const policy::Policy& policy) const {
  if (enforcement_.host_iptables) return "iptables";
  if (!policy::expressibleInCalico(policy)) {
    if (policy::enforcedAtSender(policy) && !enforcement_.sender_mac_rules.empty()) {
      return "node-local iptables, at the sender: a node whose MAC matches rejects its own packets "
             "to the targets (machines outside the cluster are not seen by MAC on a routed network)";
    }
    return "not enforced: Calico has no MAC match, and on its routed network a node never sees "
           "another machine's MAC; use an IP rule (deny: {from: ...})";
  }
  if (enforcement_.calico_etcd.empty()) {
    return "none here (export with `coral policy export --calico`, or `coral up --calico-etcd URL`)";
  }
  return "calico (etcd " + enforcement_.calico_etcd + ")";
}

nlohmann::json PolicyManager::toJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& managed : policies_) {
    list.push_back({{"name", managed.policy.name},
                    {"origin", managed.origin},
                    {"enforcement", enforcementOf(managed.policy)},
                    {"policy", yamlToJson(managed.source)}});
  }
  return list;
}

std::string PolicyManager::specPoliciesYaml() const {
  YAML::Node root(YAML::NodeType::Map);
  YAML::Node list(YAML::NodeType::Sequence);
  for (const auto& managed : policies_) {
    if (managed.origin == "spec") list.push_back(managed.source);
  }
  if (list.size() == 0) return "";
  root["policies"] = list;
  return emit(root) + "\n";
}

std::string PolicyManager::toYaml() const {
  YAML::Node list(YAML::NodeType::Sequence);
  for (const auto& managed : policies_) list.push_back(managed.source);
  return emit(list) + "\n";
}

}  // namespace coral::daemon
