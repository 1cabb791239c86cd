// Stores a cluster's Calico policies in Calico's etcd v3 datastore, where
// Felix reads them: key /calico/resources/v3/projectcalico.org/networkpolicies/
// <namespace>/<name>, value = the resource as JSON. Talks to etcd's JSON
// gateway over HTTP (no etcdctl). The namespace "coral-<cluster>" belongs to
// Coral alone: writing replaces its whole content in one transaction.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "policy/calico_render.h"
#include "policy/policy.h"

namespace coral::policy {

std::string calicoKey(const std::string& cluster, const std::string& name);

// Replaces the cluster's resources with those of `policies` (MAC policies are
// node-local and not stored). Idempotent.
Status writeCalicoToEtcd(const std::string& etcd_url, const std::string& cluster,
                         const std::vector<Policy>& policies,
                         int notebook_container_port = kDefaultNotebookPort);

// The cluster's stored resources, sorted by name.
Result<std::vector<nlohmann::json>> readCalicoFromEtcd(const std::string& etcd_url,
                                                       const std::string& cluster);

// Deletes one policy and updates Coral's own resources to match what is left.
Status deleteCalicoFromEtcd(const std::string& etcd_url, const std::string& cluster,
                            const std::string& policy_name);

}  // namespace coral::policy
