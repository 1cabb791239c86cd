// The Mesos backend: runs the scheduler core's nodes as tasks of a Mesos
// framework (v1 scheduler HTTP API, through MasterConnection). Offers become
// core::Offers, launches become ACCEPTs with one TaskInfo per node, status
// updates become core::Instances. Everything runs on the daemon's event loop.
//
// Adoption: every launched task is remembered in a small task store in the
// state dir (task id -> agent, host, node, spec hash, generation, ip), so a
// restarted scheduler reports its tasks before any offer arrives, reconciles
// them with the master, and never launches twins.
//
// Docker containerizer + notebook port: Calico ignores `-p`, so once the
// notebook runs, a small gateway task (socat, host networking, the notebook
// host port from an offer of the notebook's agent) forwards host:port to
// notebook-ip:8888; it is replaced when the notebook moves.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/backend.h"
#include "mesos/codec.h"
#include "mesos/master_connection.h"
#include "mesos/proto.h"
#include "mesos/sandbox_logs.h"
#include "mesos/task_info.h"

namespace coral::mesos {

struct MesosBackendOptions {
  std::string cluster;
  std::string master;  // --master: http://host:port, a list, or zk://
  ContentType contentType = ContentType::kProtobuf;
  Containerizer containerizer = Containerizer::kDocker;
  std::string network = "calico";  // Docker network / CNI network of the nodes
  std::string user = "root";
  std::vector<std::string> roles = {"coral"};
  double failoverTimeoutSeconds = 604800;
  std::optional<std::string> principal;
  std::string secretFile;
  std::string hostname;  // FrameworkInfo.hostname (this machine)
  std::string webuiUrl;  // the daemon's API URL, when known
  std::string stateDir;  // framework_id and mesos-tasks.json live here
  // The gateway task (docker containerizer only): an image with socat.
  std::string gatewayImage = "coral/worker:latest";
  double gatewayCpus = 0.05;
  double gatewayMemMb = 32;
  double declineRefuseSeconds = 600;  // jittered, for offers nothing fits
  double acceptRefuseSeconds = 30;    // for the unused rest of an accepted offer
  std::chrono::milliseconds reconcileInterval{std::chrono::minutes(10)};
  ReconnectPolicy policy;
  TimerFactory* timers = nullptr;
  std::function<double()> random01;
};

class MesosBackend : public core::Backend {
 public:
  MesosBackend(boost::asio::io_context& loop, MesosBackendOptions options);
  ~MesosBackend() override;

  std::string kind() const override { return "mesos"; }
  void start(core::SchedulerEvents& events) override;
  void launch(const core::Offer& offer, const std::vector<core::LaunchRequest>& launches) override;
  void decline(const core::Offer& offer) override;
  void kill(const core::Instance& instance) override;
  void setOfferInterest(bool wanted) override;
  void stop() override;

  // Only `coral down`: TEARDOWN (the master kills every task), forget the
  // framework ID and the task store. `done` runs on the loop.
  void teardown(std::function<void(Status)> done);

  // Options are checked and the connection created here, so that a bad
  // --master or secret file is reported by `coral up`.
  Status prepare();

  bool subscribed() const;
  std::optional<std::string> frameworkId() const;
  // Set after an unrecoverable error (ERROR event, bad credentials, ...).
  const std::string& fatalError() const { return fatal_; }
  std::string connectionState() const;

  // Where the task's stdout/stderr can be read (its agent's /files API);
  // nullopt while the agent or the framework ID is unknown.
  std::optional<SandboxLocation> sandboxOf(const std::string& taskId) const;

  // The gateway task currently forwarding the notebook port, if any.
  std::optional<std::string> gatewayTaskId() const;

  struct TaskRecord {
    std::string agentId;
    std::string host;
    std::string node;
    std::string specHash;
    int generation = 0;
    std::string ip;
    std::string phase;        // core::phaseName of the last known phase
    bool gateway = false;     // the notebook port gateway, not a node
    std::string target;       // gateway: the ip:port it forwards to
    int hostPort = 0;         // notebook: host port and container port
    int containerPort = 0;
    std::string executorId;   // from its status updates; the command executor's is the task ID
    std::string healthCheck;  // "GET <path> on port <port>" when it has one: ready once healthy
    bool healthy = false;     // the check has passed (and not failed since)
  };

 private:
  void onEvent(const v1::scheduler::Event& event);
  void onSubscribed();
  void onOffers(const v1::scheduler::Event::Offers& offers);
  void onUpdate(const v1::TaskStatus& status);
  void applyOfferInterest();
  void reconcileTimer();
  void saveStore();
  void loadStore();
  void reportGone(const std::string& taskId);
  void checkGateway();
  bool tryLaunchGateway(const v1::Offer& offer);
  void sendKill(const std::string& taskId);

  boost::asio::io_context& loop_;
  MesosBackendOptions options_;
  std::unique_ptr<MasterConnection> connection_;
  core::SchedulerEvents* events_ = nullptr;
  boost::asio::steady_timer reconcile_timer_;
  std::function<double()> random01_;

  std::map<std::string, v1::Offer> offers_;  // outstanding, by offer id
  std::map<std::string, std::string> agent_hosts_;  // agent id -> hostname
  struct AgentUrl {
    std::string host;
    uint16_t port = 0;
  };
  std::map<std::string, AgentUrl> agent_urls_;  // agent id -> its HTTP API (Offer.url)
  std::optional<std::string> authorization_;     // basic auth, also good for the agents
  std::map<std::string, TaskRecord> tasks_;         // the task store
  std::map<std::string, core::Instance> instances_;  // node tasks, by task id
  std::set<std::string> terminal_;   // tasks known to be over; kill() answers at once
  std::set<std::string> killing_;    // KILL sent or to be re-sent after re-subscribe
  bool core_wants_offers_ = false;
  std::optional<bool> offers_revived_;  // what the master was last told
  std::string fatal_;
  bool stopped_ = false;
  int gateway_generation_ = 0;
  // The gateway the notebook needs; empty when none.
  struct GatewayWanted {
    std::string agentId;
    std::string node;
    std::string target;  // notebook-ip:container-port
    uint32_t hostPort = 0;
  };
  std::optional<GatewayWanted> gateway_wanted_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace coral::mesos
