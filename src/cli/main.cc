// coral: grows a cluster of Docker containers on a Calico network with a
// Jupyter notebook in it, and manages it afterwards.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/policy_command.h"

int main(int argc, char** argv) {
  using namespace coral::cli;
  CLI::App app{"coral: a cluster of containers on a Calico network, managed from Jupyter"};
  app.require_subcommand(1);

  CommonOptions common;
  auto addCommon = [&common](CLI::App* command) {
    command->add_option("--state-dir", common.state_dir,
                        "state directory (default /var/lib/coral/<cluster> for root)");
    command->add_option("-c,--cluster", common.cluster, "cluster name, to find its state dir")
        ->capture_default_str();
  };

  UpOptions up;
  auto* up_cmd = app.add_subcommand("up", "create or converge the cluster and wait until the notebook answers");
  up_cmd->add_option("-f,--file", up.spec_file, "cluster spec (YAML); default: 3 workers + notebook");
  up_cmd->add_option("--state-dir", up.common.state_dir, "state directory");
  up_cmd->add_option("--backend", up.backend, "local (this machine) or mesos (a Mesos cluster)")
      ->check(CLI::IsMember({"local", "mesos"}))
      ->capture_default_str();
  up_cmd->add_option("--master", up.master,
                     "mesos: http://host:5050, a comma-separated list, or zk://host:2181/mesos");
  up_cmd->add_option("--containerizer", up.containerizer, "mesos: docker or mesos")
      ->check(CLI::IsMember({"docker", "mesos"}))
      ->capture_default_str();
  up_cmd->add_option("--content-type", up.content_type, "mesos: protobuf or json")
      ->check(CLI::IsMember({"protobuf", "json"}))
      ->capture_default_str();
  up_cmd->add_option("--role", up.role, "mesos: the framework's role")->capture_default_str();
  up_cmd->add_option("--principal", up.principal, "mesos: framework principal (HTTP basic auth)");
  up_cmd->add_option("--secret-file", up.secret_file, "mesos: file holding the principal's secret");
  up_cmd->add_option("--failover-timeout", up.failover_timeout,
                     "mesos: seconds the master keeps the tasks while Coral is away")
      ->capture_default_str();
  up_cmd->add_option("--api-address", up.api_address,
                     "mesos: IPv4[:port] where tasks reach Coral's API (default: this machine's "
                     "address, port 7480)");
  up_cmd->add_option("--calico-etcd", up.calico_etcd,
                     "mesos: Calico's etcd (http://host:2379); policies are written there live");
  up_cmd->add_flag("--no-spread", up.no_spread,
                   "mesos: allow several nodes on one agent while others have room");
  up_cmd->add_flag("--attach", up.attach, "stay in the foreground showing node events");
  up_cmd->add_option("--timeout", up.timeout_seconds, "seconds to wait for readiness")->capture_default_str();

  std::string output = "table";
  auto* status_cmd = app.add_subcommand("status", "show nodes, addresses and the notebook URL");
  addCommon(status_cmd);
  status_cmd->add_option("-o,--output", output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  bool keep_state = false;
  auto* down_cmd = app.add_subcommand("down", "remove every container, route, rule and lease of the cluster");
  addCommon(down_cmd);
  down_cmd->add_flag("--keep-state", keep_state, "keep the state directory");

  int workers = 0;
  auto* scale_cmd = app.add_subcommand("scale", "set the number of workers");
  addCommon(scale_cmd);
  scale_cmd->add_option("workers", workers, "number of workers")->required()->check(CLI::Range(1, 200));

  std::string node;
  auto* restart_cmd = app.add_subcommand("restart", "replace a node with a fresh one");
  addCommon(restart_cmd);
  restart_cmd->add_option("node", node, "node name, e.g. worker-1")->required();

  int tail = 100;
  auto* logs_cmd = app.add_subcommand("logs", "show a node's container output");
  addCommon(logs_cmd);
  logs_cmd->add_option("node", node, "node name")->required();
  logs_cmd->add_option("-n,--tail", tail, "number of lines")->capture_default_str();

  auto* events_cmd = app.add_subcommand("events", "follow node state changes");
  addCommon(events_cmd);

  std::string daemon_dir, daemon_backend = "local";
  auto* daemon_cmd = app.add_subcommand("daemon", "run the scheduler daemon (started by `up`)");
  daemon_cmd->group("");  // internal: not listed in --help
  daemon_cmd->add_option("--state-dir", daemon_dir)->required();
  daemon_cmd->add_option("--backend", daemon_backend);
  bool no_resume = false;
  daemon_cmd->add_flag("--no-resume", no_resume, "adopt running nodes but launch nothing");

  PolicyOptions policy;
  auto* policy_cmd = addPolicyCommand(app, policy);

  CLI11_PARSE(app, argc, argv);

  if (*up_cmd) return runUp(up);
  if (*status_cmd) return runStatus(common, output);
  if (*down_cmd) return runDown(common, keep_state);
  if (*scale_cmd) return runScale(common, workers);
  if (*restart_cmd) return runRestart(common, node);
  if (*logs_cmd) return runLogs(common, node, tail);
  if (*events_cmd) return runEvents(common);
  if (*policy_cmd) return runPolicy(policy, policy_cmd);
  if (*daemon_cmd) return runDaemon(daemon_dir, daemon_backend, !no_resume);
  return 2;
}
