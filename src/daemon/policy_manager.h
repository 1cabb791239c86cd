// The cluster's firewall policies as the daemon holds them: parsed and
// validated against the cluster's nodes, persisted atomically in the state
// dir (policies.yaml), and enforced on the host with IptablesEnforcer
// whenever the policies or the running nodes' endpoints change.
//
// Policies come from two places. Those of the cluster spec (`policies:`) are
// replaced as a whole by the spec's list on every `coral up`; those put
// through the API (`PUT /v1/policies`, `coral policy apply`) are merged by
// name. A name belongs to one place at a time: the latest writer takes it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "core/result.h"
#include "policy/iptables_enforcer.h"
#include "policy/policy.h"

namespace coral::daemon {

struct ManagedPolicy {
  policy::Policy policy;
  YAML::Node source;  // the policy's map as written (persisted, shown by GET)
  std::string origin; // "spec" | "api"
};

// What the enforcer needs to know about the running cluster.
struct PolicyTopology {
  std::vector<policy::NodeRef> nodes;           // the desired nodes (for validation)
  std::vector<policy::NodeEndpoint> endpoints;  // nodes attached to the network now
  int notebook_host_port = 0;
};

// Where the policies take effect.
struct PolicyEnforcement {
  // The local backend: per-node iptables chains on this host.
  bool host_iptables = true;
  // Mesos: Calico NetworkPolicy resources written to Calico's etcd v3
  // datastore at this URL on every change (Felix on each agent enforces
  // them). Empty: stored and validated only (`coral policy export --calico`).
  std::string calico_etcd;
  // Mesos: where MAC deny rules for the senders are written (share/mac-rules,
  // fetched by every node's entrypoint); see policy::renderSenderMacRules.
  std::string sender_mac_rules;
};

class PolicyManager {
 public:
  // `path`: the state dir's policies.yaml; `cluster`: a DNS label.
  PolicyManager(std::string path, std::string cluster, PolicyEnforcement enforcement = {});

  // Loads policies.yaml (absent: no policies).
  Status load();

  // Parses a policies list (YAML or JSON text) — every entry must be valid.
  static Result<std::vector<ManagedPolicy>> parse(const YAML::Node& list, const std::string& file,
                                                  const std::string& origin);
  // The `policies:` of a spec text, checked against the spec's nodes.
  static Result<std::vector<ManagedPolicy>> parseSpecPolicies(
      const std::string& yaml_text, const std::string& file_name,
      const std::vector<policy::NodeRef>& nodes);

  // Each change validates the resulting set against `topology.nodes`, then
  // enforces it, then persists it; on any error nothing changes.
  Status replaceSpecPolicies(std::vector<ManagedPolicy> policies, const PolicyTopology& topology);
  Status merge(std::vector<ManagedPolicy> policies, const PolicyTopology& topology);
  // NotFound when no policy has this name.
  Status remove(const std::string& name, const PolicyTopology& topology, bool* found);

  // Re-applies when the endpoints differ from the last applied ones (or `force`).
  Status refresh(const PolicyTopology& topology, bool force = false);
  // Removes every host rule of the cluster (on `down`).
  Status removeAll();

  const std::vector<ManagedPolicy>& policies() const { return policies_; }
  std::vector<policy::Policy> values() const;
  // GET /v1/policies: [{name, origin, enforcement, policy}, ...].
  nlohmann::json toJson() const;
  // The policies as one YAML list (what `coral policy export` renders).
  std::string toYaml() const;
  // "policies:\n..." with the spec's policies, to append to a rewritten spec
  // file (ClusterSpec does not carry them); "" when there are none.
  std::string specPoliciesYaml() const;

 private:
  Status commit(std::vector<ManagedPolicy> next, const PolicyTopology& topology);
  Status enforce(const std::vector<ManagedPolicy>& set, const PolicyTopology& topology);
  Status enforceRemotely(const std::vector<ManagedPolicy>& set, const PolicyTopology& topology);
  Status persist(const std::vector<ManagedPolicy>& set) const;

  std::string path_;
  std::string cluster_;
  policy::IptablesEnforcer enforcer_;
  PolicyEnforcement enforcement_;
  std::vector<ManagedPolicy> policies_;
  // What each enforcement last depended on; unset = must be written again.
  std::optional<std::string> applied_key_;    // host iptables: the topology
  std::optional<std::string> calico_key_;     // etcd: the policies
  std::optional<std::string> mac_rules_key_;  // share/mac-rules: policies and topology
  // How one policy takes effect, for GET /v1/policies and `coral policy list`.
  std::string enforcementOf(const policy::Policy& policy) const;
};

// A YAML node as JSON (scalars that read as integers or booleans become numbers/booleans).
nlohmann::json yamlToJson(const YAML::Node& node);

}  // namespace coral::daemon
