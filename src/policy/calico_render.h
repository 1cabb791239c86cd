// Expresses policies as Calico v3 NetworkPolicy resources (projectcalico.org/v3)
// selecting the nodes' workload-endpoint labels coral.cluster, coral.node and
// coral.role, in the namespace "coral-<cluster>". Calico has no MAC match, so
// MAC policies are left to iptables inside the node ("node-local iptables").
//
// Calico drops a packet at the end of the tier when policies apply to its
// endpoint but none allowed it, so a deny-only policy alone would cut a node
// off. Coral therefore adds two resources of its own:
//   order 100  deny and host-port policies      (Deny rules)
//   order 200  allow-only policies              (Allow rules)
//   order 300  coral-isolate: Deny everything else to nodes with allow-only policies
//   order 1000 coral-pass: Pass the rest of the cluster's traffic on to the profiles
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "policy/policy.h"

namespace coral::policy {

constexpr int kDefaultNotebookPort = 8888;

struct CalicoRendering {
  std::string yaml;  // the resources as a multi-document YAML stream
  std::vector<std::pair<std::string, std::string>>
      where;  // policy name -> "calico" | "node-local iptables"
};

std::string calicoNamespace(const std::string& cluster);

// False for policies Calico cannot express (MAC matches).
bool expressibleInCalico(const Policy& policy);

// All resources for the cluster, policies in spec order then Coral's own.
// Host-port policies match the notebook's container port (after DNAT).
std::vector<nlohmann::json> calicoResources(const std::string& cluster,
                                            const std::vector<Policy>& policies,
                                            int notebook_container_port = kDefaultNotebookPort);

// Coral's own resources for a set of allow-only selectors (empty result when
// `any_policy` is false); shared with the etcd store, which recomputes them
// when one policy is deleted.
std::vector<nlohmann::json> calicoSupportResources(
    const std::string& cluster, const std::vector<std::string>& isolated_selectors,
    bool any_policy);

// Kind of a stored resource: "deny", "allow-only", "host-port", or "support".
std::string calicoResourceKind(const nlohmann::json& resource);

CalicoRendering renderCalico(const std::string& cluster, const std::vector<Policy>& policies,
                             int notebook_container_port = kDefaultNotebookPort);

}  // namespace coral::policy
