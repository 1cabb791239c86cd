// The scheduler daemon: one per state dir. Owns the event loop on which the
// scheduler core, the backend's reports and the management API all run, so
// the cluster's state has exactly one owner and needs no locks.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "api/server.h"
#include "core/desired_state.h"
#include "core/scheduler.h"
#include "daemon/policy_manager.h"
#include "daemon/state_dir.h"
#include "local/local_backend.h"
#include "mesos/mesos_backend.h"
#include "network/attacher.h"
#include "network/calico_network.h"

namespace coral::daemon {

struct DaemonOptions {
  std::string state_dir;
  std::string backend = "local";
  std::string docker_socket = "/var/run/docker.sock";
  std::string cni_config_dir = "/etc/cni/net.d";
  // False for a daemon started only to take the cluster down: it adopts what
  // runs but launches nothing.
  bool resume = true;
};

class Daemon {
 public:
  explicit Daemon(DaemonOptions options);
  ~Daemon();
  // Serves until `coral down` or SIGTERM; returns the process exit code.
  int run();

 private:
  friend class Routes;
  friend class PolicyRoutes;
  friend class NodeFileRoutes;

  Status applySpec(const std::string& yaml_text, const std::string& file_name);
  Status preflight(const core::ClusterSpec& spec);
  Status startBackend(const core::ClusterSpec& spec);
  Status startMesosBackend(const core::ClusterSpec& spec);
  Status startLocalBackend(const core::ClusterSpec& spec);
  core::NodeFiles nodeFiles() const;
  nlohmann::json statusJson() const;
  nlohmann::json nodeJson(const core::NodeView& node) const;
  void tick();
  void beginShutdown(api::Responder responder);
  void finishShutdownIfDone();
  void answerIfMesosUnreachable();
  void stopServing();
  Status scaleWorkers(int workers);
  Status prepareNodeFiles();
  void writeHostsInventory();
  void listenOnClusterNetwork();
  // Firewall policies (defined in policy_routes.cc).
  PolicyTopology policyTopology(const std::vector<core::NodeSpec>* desired = nullptr) const;
  void refreshPolicies();

  DaemonOptions options_;
  StateDir dir_;
  boost::asio::io_context loop_;
  boost::asio::steady_timer ticker_;
  boost::asio::signal_set signals_;
  boost::asio::thread_pool blocking_{2};  // API work that waits on Docker (logs)
  std::string api_token_;
  std::string node_token_;
  std::string node_api_url_;
  bool spread_ = true;  // placement across machines (mesos setting)
  std::string calico_etcd_;  // mesos: where Calico policies are written  // mesos: the API as tasks on the agents reach it

  std::optional<network::CalicoNetwork> network_;
  std::unique_ptr<network::Attacher> attacher_;
  std::unique_ptr<core::Backend> backend_;
  local::LocalBackend* local_ = nullptr;    // backend_ when it is the local one
  mesos::MesosBackend* mesos_ = nullptr;    // backend_ when it is the Mesos one
  bool teardown_started_ = false;           // mesos: TEARDOWN sent by `coral down`
  bool teardown_done_ = false;
  std::string teardown_problem_;
  std::unique_ptr<core::Scheduler> scheduler_;
  std::unique_ptr<PolicyManager> policies_;
  std::unique_ptr<api::Server> server_;
  std::vector<std::shared_ptr<api::EventStream>> event_streams_;

  bool shutting_down_ = false;
  std::chrono::steady_clock::time_point shutdown_began_;
  bool api_on_network_ = false;
  std::string hosts_written_;
  std::vector<api::Responder> shutdown_waiters_;
};

}  // namespace coral::daemon
