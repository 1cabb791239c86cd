// The firewall policy endpoints and the daemon's policy hooks:
//   PUT    /v1/policies         body: a YAML or JSON list of policies (or a map
//                               with a `policies:` key); merged by name
//   GET    /v1/policies         the policies and where each is enforced
//   DELETE /v1/policies/{name}
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/server.h"
#include "daemon/daemon.h"
#include "daemon/policy_manager.h"

namespace coral::daemon {

class PolicyRoutes {
 public:
  static void install(Daemon& d, api::Router& router);
};

void installPolicyRoutes(Daemon& d, api::Router& router) { PolicyRoutes::install(d, router); }

PolicyTopology Daemon::policyTopology(const std::vector<core::NodeSpec>* desired) const {
  PolicyTopology topology;
  if (!desired && scheduler_) desired = &scheduler_->desired();
  if (desired) {
    for (const auto& node : *desired) {
      topology.nodes.push_back({node.name, core::roleName(node.role)});
    }
  }
  if (scheduler_) topology.notebook_host_port = scheduler_->spec().notebook_host_port;
  if (scheduler_ && mesos_) {
    // On agents only the nodes' addresses are known (for MAC rules at the sender).
    for (const auto& node : scheduler_->nodes()) {
      if (node.ip.empty() || node.state != "running") continue;
      topology.endpoints.push_back({node.name, core::roleName(node.role), node.ip, "", ""});
    }
    return topology;
  }
  if (!scheduler_ || !attacher_ || !network_) return topology;
  for (const auto& node : scheduler_->nodes()) {
    if (node.instance_id.empty() || node.ip.empty()) continue;
    auto cached = attacher_->runtime().cachedResult(network_->name, node.instance_id, "eth0");
    if (!cached || !cached->has_value()) continue;
    policy::NodeEndpoint endpoint{node.name, core::roleName(node.role), node.ip, "", ""};
    for (const auto& iface : (*cached)->interfaces) {
      if (iface.sandbox.empty()) {
        endpoint.host_veth = iface.name;
      } else {
        endpoint.mac = iface.mac;
      }
    }
    if (endpoint.host_veth.empty()) continue;
    topology.endpoints.push_back(std::move(endpoint));
  }
  return topology;
}

void Daemon::refreshPolicies() {
  if (!policies_ || shutting_down_) return;
  if (auto refreshed = policies_->refresh(policyTopology()); !refreshed) {
    spdlog::error("{}", refreshed.message());
  }
}

namespace {

api::Response invalid(const std::string& message) {
  return api::jsonError(400, "invalid_policy", message);
}

}  // namespace

void PolicyRoutes::install(Daemon& d, api::Router& router) {
  router.add("GET", "/v1/policies", [&d](const api::Request&, api::Responder res) {
    if (!d.policies_) {
      return res.send(api::jsonResponse({{"cluster", nullptr},
                                         {"policies", nlohmann::json::array()},
                                         {"yaml", "[]\n"}}));
    }
    res.send(api::jsonResponse({{"cluster", d.scheduler_->spec().name},
                                {"backend", d.options_.backend},
                                {"policies", d.policies_->toJson()},
                                {"yaml", d.policies_->toYaml()}}));
  });

  router.add("PUT", "/v1/policies", [&d](const api::Request& req, api::Responder res) {
    if (!d.policies_) {
      return res.send(api::jsonError(409, "no_cluster",
                                     "no cluster spec submitted yet; run `coral up` first"));
    }
    if (d.shutting_down_) {
      return res.send(api::jsonError(409, "shutting_down", "the cluster is being taken down"));
    }
    std::string file = "<api>";
    if (auto it = req.query.find("file"); it != req.query.end() && !it->second.empty()) {
      file = it->second;
    }
    YAML::Node root;
    try {
      root = YAML::Load(req.body);
    } catch (const YAML::Exception& e) {
      return res.send(invalid(fmt::format("{}:{}:{}: the body is neither YAML nor JSON: {}", file,
                                          e.mark.line + 1, e.mark.column + 1, e.msg)));
    }
    YAML::Node list = root;
    if (root.IsMap() && root["policies"]) list = root["policies"];
    if (!list.IsSequence()) {
      return res.send(invalid(fmt::format(
          "{}: the body must be a list of policies (or a map with a `policies:` list), each with "
          "name, nodes or host-port, and deny or allow-only",
          file)));
    }
    auto parsed = PolicyManager::parse(list, file, "api");
    if (!parsed) return res.send(invalid(parsed.message()));
    std::vector<std::string> names;
    for (const auto& managed : *parsed) names.push_back(managed.policy.name);
    if (auto merged = d.policies_->merge(std::move(*parsed), d.policyTopology()); !merged) {
      return res.send(invalid(merged.message()));
    }
    res.send(api::jsonResponse(
        {{"applied", names}, {"policies", d.policies_->toJson()}}, 200));
  });

  router.add("DELETE", "/v1/policies/{name}", [&d](const api::Request& req, api::Responder res) {
    const auto& name = req.params.at("name");
    bool found = false;
    if (d.policies_) {
      if (d.shutting_down_) {
        return res.send(api::jsonError(409, "shutting_down", "the cluster is being taken down"));
      }
      if (auto removed = d.policies_->remove(name, d.policyTopology(), &found); !removed) {
        return res.send(api::jsonError(500, "enforcement", removed.message()));
      }
    }
    if (!found) {
      return res.send(api::jsonError(
          404, "not_found",
          fmt::format("no policy named \"{}\"; `coral policy list` shows them", name)));
    }
    res.send(api::jsonResponse({{"removed", name}}));
  });
}

}  // namespace coral::daemon
