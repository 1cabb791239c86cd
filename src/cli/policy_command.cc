#include "cli/policy_command.h"

#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "cli/daemon_control.h"
#include "daemon/state_dir.h"
#include "os/atomic_file.h"
#include "policy/calico_render.h"
#include "policy/calico_store.h"
#include "policy/spec_parser.h"

namespace coral::cli {
namespace {

std::optional<api::Client> connect(const CommonOptions& options) {
  return requireDaemon(daemon::StateDir(options.stateDir()));
}

int failed(const Result<api::Response>& answer) { return reportApiFailure(answer); }

std::string describeTargets(const nlohmann::json& policy) {
  if (policy.contains("host-port")) return fmt::format("host-port {}", policy["host-port"].dump());
  if (!policy.contains("nodes")) return "-";
  const auto& nodes = policy["nodes"];
  if (nodes.is_string()) return nodes.get<std::string>();
  if (nodes.is_array()) {
    std::string text;
    for (const auto& n : nodes) text += (text.empty() ? "" : ",") + (n.is_string() ? n.get<std::string>() : n.dump());
    return text;
  }
  if (nodes.is_object() && nodes.contains("role")) return "role " + nodes["role"].dump();
  return nodes.dump();
}

std::string describeRule(const nlohmann::json& policy) {
  for (const char* action : {"deny", "allow-only"}) {
    if (policy.contains(action)) return fmt::format("{} {}", action, policy[action].dump());
  }
  return "-";
}

int list(const PolicyOptions& options) {
  auto client = connect(options.common);
  if (!client) return 1;
  auto answer = client->request("GET", "/v1/policies");
  if (int rc = failed(answer)) return rc;
  auto body = nlohmann::json::parse(answer->body);
  std::cout << fmt::format("{:<20} {:<7} {:<10} {:<22} {}\n", "NAME", "ORIGIN", "ENFORCED", "APPLIES TO",
                           "RULE");
  for (const auto& p : body["policies"]) {
    std::cout << fmt::format("{:<20} {:<7} {:<10} {:<22} {}\n", p.value("name", ""),
                             p.value("origin", ""), p.value("enforcement", ""),
                             describeTargets(p["policy"]), describeRule(p["policy"]));
  }
  return 0;
}

int apply(const PolicyOptions& options) {
  auto text = os::readFile(options.file);
  if (!text) {
    std::cerr << "coral: cannot read " << options.file << ": " << text.message() << "\n";
    return 1;
  }
  auto client = connect(options.common);
  if (!client) return 1;
  // The body is YAML (JSON is YAML too); the file name makes errors point into it.
  std::string target = "/v1/policies?file=";
  for (unsigned char c : options.file) {
    if (std::isalnum(c) || std::strchr("-._~/", c)) {
      target += static_cast<char>(c);
    } else {
      target += fmt::format("%{:02X}", c);
    }
  }
  auto answer = client->request("PUT", target, *text);
  if (int rc = failed(answer)) return rc;
  auto body = nlohmann::json::parse(answer->body);
  for (const auto& name : body["applied"]) {
    std::string where = "iptables";
    for (const auto& p : body["policies"]) {
      if (p.value("name", "") == name) where = p.value("enforcement", where);
    }
    std::cout << fmt::format("coral: policy {} applied ({})\n", name.get<std::string>(), where);
  }
  return 0;
}

int removePolicy(const PolicyOptions& options) {
  auto client = connect(options.common);
  if (!client) return 1;
  if (int rc = failed(client->request("DELETE", "/v1/policies/" + options.name))) return rc;
  std::cout << fmt::format("coral: policy {} removed\n", options.name);
  return 0;
}

int exportCalico(const PolicyOptions& options) {
  if (!options.calico) {
    std::cerr << "coral: say which format to export: --calico\n";
    return 2;
  }
  auto client = connect(options.common);
  if (!client) return 1;
  auto answer = client->request("GET", "/v1/policies");
  if (int rc = failed(answer)) return rc;
  auto body = nlohmann::json::parse(answer->body);
  if (!body["cluster"].is_string()) {
    std::cerr << "coral: no cluster spec submitted yet; run `coral up` first\n";
    return 1;
  }
  const std::string cluster = body["cluster"];
  auto policies = policy::parsePolicies(YAML::Load(body.value("yaml", "[]")), "policies");
  if (!policies) {
    std::cerr << "coral: " << policies.message() << "\n";
    return 1;
  }
  auto rendering = policy::renderCalico(cluster, *policies);
  if (options.calico_etcd.empty()) {
    for (const auto& [name, where] : rendering.where) {
      std::cout << fmt::format("# {}: {}\n", name, where);
    }
    std::cout << rendering.yaml;
    return 0;
  }
  if (auto written = policy::writeCalicoToEtcd(options.calico_etcd, cluster, *policies); !written) {
    std::cerr << "coral: " << written.message() << "\n";
    return 1;
  }
  for (const auto& [name, where] : rendering.where) {
    std::cout << fmt::format("coral: policy {}: {}{}\n", name, where,
                             where == "calico" ? " (written to " + options.calico_etcd + ")" : "");
  }
  return 0;
}

}  // namespace

CLI::App* addPolicyCommand(CLI::App& app, PolicyOptions& options) {
  auto* policy = app.add_subcommand("policy", "firewall policies: apply, list, rm, export");
  policy->require_subcommand(1);
  auto addCommon = [&options](CLI::App* command) {
    command->add_option("--state-dir", options.common.state_dir, "state directory");
    command->add_option("-c,--cluster", options.common.cluster, "cluster name, to find its state dir")
        ->capture_default_str();
  };
  auto* apply_cmd = policy->add_subcommand("apply", "add or replace (by name) policies from a YAML or JSON file");
  addCommon(apply_cmd);
  apply_cmd->add_option("-f,--file", options.file, "a list of policies, or a spec with `policies:`")->required();
  auto* list_cmd = policy->add_subcommand("list", "show the policies and where each is enforced");
  addCommon(list_cmd);
  auto* rm_cmd = policy->add_subcommand("rm", "remove a policy");
  addCommon(rm_cmd);
  rm_cmd->add_option("name", options.name, "policy name")->required();
  auto* export_cmd = policy->add_subcommand("export", "render the policies for another enforcer");
  addCommon(export_cmd);
  export_cmd->add_flag("--calico", options.calico, "Calico NetworkPolicy resources (YAML for calicoctl apply)");
  export_cmd->add_option("--calico-etcd", options.calico_etcd,
                         "write them to Calico's etcd v3 datastore at this URL instead");
  apply_cmd->callback([&options] { options.verb = "apply"; });
  list_cmd->callback([&options] { options.verb = "list"; });
  rm_cmd->callback([&options] { options.verb = "rm"; });
  export_cmd->callback([&options] { options.verb = "export"; });
  return policy;
}

int runPolicy(PolicyOptions& options, CLI::App*) {
  if (options.verb == "apply") return apply(options);
  if (options.verb == "list") return list(options);
  if (options.verb == "rm") return removePolicy(options);
  if (options.verb == "export") return exportCalico(options);
  return 2;
}

}  // namespace coral::cli
