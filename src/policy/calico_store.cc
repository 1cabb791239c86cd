#include "policy/calico_store.h"

#include <fmt/format.h>

#include "policy/etcd_http.h"
#include "policy/values.h"

namespace coral::policy {
namespace {

std::string namespacePrefix(const std::string& cluster) {
  return "/calico/resources/v3/projectcalico.org/networkpolicies/" + calicoNamespace(cluster) + "/";
}

Status checkCluster(const std::string& cluster) {
  if (isDnsLabel(cluster) && isDnsLabel(calicoNamespace(cluster))) return okStatus();
  return makeError(
      fmt::format("cluster name \"{}\" cannot name a Calico namespace (use lower-case "
                  "letters, digits and '-', at most 57 characters)",
                  cluster));
}

// Makes the namespace hold exactly `resources`: one transaction deleting
// what is no longer wanted and putting the rest.
Status replaceNamespace(const etcd::Client& client, const std::string& cluster,
                        const std::vector<nlohmann::json>& resources) {
  auto existing = client.rangePrefix(namespacePrefix(cluster));
  if (!existing) return existing.error();
  std::vector<etcd::KeyValue> puts;
  for (const auto& one : resources) {
    puts.push_back({calicoKey(cluster, one["metadata"]["name"].get<std::string>()), one.dump()});
  }
  std::vector<std::string> deletes;
  for (const auto& kv : *existing) {
    bool kept = false;
    for (const auto& put : puts) kept = kept || put.key == kv.key;
    if (!kept) deletes.push_back(kv.key);
  }
  return client.commit(puts, deletes);
}

Result<std::vector<nlohmann::json>> readAll(const etcd::Client& client,
                                            const std::string& cluster) {
  auto stored = client.rangePrefix(namespacePrefix(cluster));
  if (!stored) return stored.error();
  std::vector<nlohmann::json> resources;
  for (const auto& kv : *stored) {
    auto one = nlohmann::json::parse(kv.value, nullptr, /*allow_exceptions=*/false);
    if (one.is_discarded()) {
      return makeError(
          fmt::format("etcd key {} does not hold JSON (remove it, or rewrite the cluster's "
                      "policies)",
                      kv.key));
    }
    resources.push_back(std::move(one));
  }
  return resources;
}

}  // namespace

std::string calicoKey(const std::string& cluster, const std::string& name) {
  return namespacePrefix(cluster) + name;
}

Status writeCalicoToEtcd(const std::string& etcd_url, const std::string& cluster,
                         const std::vector<Policy>& policies, int notebook_container_port) {
  if (auto status = checkCluster(cluster); !status) return status;
  etcd::Client client(etcd_url);
  return replaceNamespace(client, cluster,
                          calicoResources(cluster, policies, notebook_container_port));
}

Result<std::vector<nlohmann::json>> readCalicoFromEtcd(const std::string& etcd_url,
                                                       const std::string& cluster) {
  if (auto status = checkCluster(cluster); !status) return status.error();
  etcd::Client client(etcd_url);
  return readAll(client, cluster);
}

Status deleteCalicoFromEtcd(const std::string& etcd_url, const std::string& cluster,
                            const std::string& policy_name) {
  if (auto status = checkCluster(cluster); !status) return status;
  etcd::Client client(etcd_url);
  auto stored = readAll(client, cluster);
  if (!stored) return stored.error();

  std::vector<nlohmann::json> kept;
  std::vector<std::string> isolated;
  std::string names;
  bool found = false;
  for (const auto& one : *stored) {
    const std::string name = one["metadata"].value("name", "");
    const std::string kind = calicoResourceKind(one);
    if (kind == "support") continue;  // recomputed below
    names += (names.empty() ? "" : ", ") + name;
    if (name == policy_name) {
      found = true;
      continue;
    }
    if (kind == "allow-only") isolated.push_back(one["spec"].value("selector", ""));
    kept.push_back(one);
  }
  if (!found) {
    return makeError(
        fmt::format("cluster \"{}\" has no Calico policy \"{}\" in etcd (stored: {}; MAC "
                    "policies are node-local and never stored)",
                    cluster, policy_name, names.empty() ? "none" : names));
  }
  for (auto& support : calicoSupportResources(cluster, isolated, !kept.empty()))
    kept.push_back(support);
  return replaceNamespace(client, cluster, kept);
}

}  // namespace coral::policy
