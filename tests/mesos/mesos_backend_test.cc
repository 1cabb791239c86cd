// core::Scheduler + MesosBackend against the strict test master, for both
// containerizers and both content types: bring-up, the notebook port, a
// failed task relaunched, and a scheduler restart that adopts its tasks.
#include "mesos/mesos_backend.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <tuple>

#include "core/desired_state.h"
#include "core/scheduler.h"
#include "test_master.h"

namespace coral::mesos {
namespace {

using testing::TestMaster;
using v1::scheduler::Call;

std::string makeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "coral-mbe-XXXXXX").string();
  return mkdtemp(tmpl.data());
}

std::string labelValue(const v1::Labels& labels, const std::string& key) {
  for (const auto& l : labels.labels())
    if (l.key() == key) return l.value();
  return "";
}

bool hasPortsResource(const v1::TaskInfo& task, uint64_t port) {
  for (const auto& r : task.resources()) {
    if (r.name() != "ports") continue;
    for (const auto& range : r.ranges().range())
      if (range.begin() <= port && port <= range.end()) return true;
  }
  return false;
}

using Param = std::tuple<ContentType, Containerizer>;

class MesosBackendTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    stateDir = makeTempDir();
    TestMaster::Options options;
    options.heartbeatPeriod = std::chrono::milliseconds(200);
    master = std::make_unique<TestMaster>(io, options);
    spec.name = "t";
    spec.workers = 2;
  }
  void TearDown() override {
    scheduler.reset();
    backend.reset();
    master.reset();
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
    std::filesystem::remove_all(stateDir);
  }

  Containerizer containerizer() const { return std::get<1>(GetParam()); }
  bool docker() const { return containerizer() == Containerizer::kDocker; }

  void addAgents(bool with8888) {
    for (int i = 1; i <= 3; ++i) {
      std::vector<std::pair<uint64_t, uint64_t>> ports = {{31000, 32000}};
      if (with8888) ports.insert(ports.begin(), std::pair<uint64_t, uint64_t>(8888, 8888));
      master->addAgent("agent-" + std::to_string(i), 2, 2048, ports);
    }
  }

  void startScheduler() {
    MesosBackendOptions options;
    options.cluster = spec.name;
    options.master = "http://" + master->endpoint().toString();
    options.contentType = std::get<0>(GetParam());
    options.containerizer = containerizer();
    options.network = "calico";
    options.roles = {"coral"};
    options.stateDir = stateDir;
    options.hostname = "scheduler.example";
    options.webuiUrl = "http://scheduler.example:7480/";
    options.policy.callTimeout = std::chrono::milliseconds(5000);
    options.random01 = [] { return 0.5; };
    backend = std::make_unique<MesosBackend>(io, options);
    scheduler = std::make_unique<core::Scheduler>(*backend, [] { return std::chrono::steady_clock::now(); });
    scheduler->start();
    scheduler->setDesired(spec, core::desiredNodes(spec, nodeFiles()));
    ASSERT_TRUE(runUntil([&] { return backend->subscribed(); })) << backend->fatalError();
  }

  // What the daemon gives nodes on agents: files fetched over the API.
  static core::NodeFiles nodeFiles() {
    core::NodeFiles files;
    files.api_url = "http://scheduler.example:7480";
    files.fetch_url = files.api_url + "/v1/node-files";
    files.worker_token = "node-token";
    files.notebook_token_for_fetch = "api-token";
    return files;
  }

  void stopScheduler() {
    backend->stop();
    scheduler.reset();
    backend.reset();
    run(std::chrono::milliseconds(50));
  }

  bool runUntil(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io.restart();
      io.run_for(std::chrono::milliseconds(2));
    }
    return true;
  }
  void run(std::chrono::milliseconds d) {
    io.restart();
    io.run_for(d);
  }

  // Offers every few ms until `done` (the core may be in a backoff).
  bool offerUntil(const std::function<bool()>& done,
                  std::chrono::milliseconds limit = std::chrono::milliseconds(8000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      master->sendOffers();
      run(std::chrono::milliseconds(20));
    }
    return true;
  }

  std::size_t nodeTasks() const {
    std::size_t n = 0;
    for (const auto& [id, task] : master->launchedTasks())
      n += id.find("-gateway.") == std::string::npos;
    return n;
  }

  void runAll(const std::string& ipPrefix = "10.213.0.") {
    int n = 10;
    for (const auto& [id, task] : master->launchedTasks()) {
      if (id.find("-gateway.") != std::string::npos) continue;
      master->pushUpdate(id, v1::TASK_STARTING, true);
      master->pushUpdate(id, v1::TASK_RUNNING, true, ipPrefix + std::to_string(n++));
      if (task.has_health_check()) master->pushHealth(id, true);
    }
  }

  // 3 nodes on 3 agents, running; with docker, the notebook gateway too.
  void bringUp() {
    addAgents(true);
    startScheduler();
    ASSERT_TRUE(offerUntil([&] { return nodeTasks() == 3; }));
    runAll();
    ASSERT_TRUE(runUntil([&] { return scheduler->converged(); }));
    if (docker()) {
      ASSERT_TRUE(offerUntil([&] { return backend->gatewayTaskId().has_value() &&
                                          master->launchedTasks().count(*backend->gatewayTaskId()); }));
      master->pushUpdate(*backend->gatewayTaskId(), v1::TASK_RUNNING, true);
    }
    ASSERT_TRUE(runUntil([&] { return master->unacknowledgedUpdates() == 0; }));
  }

  boost::asio::io_context io;
  std::string stateDir;
  std::unique_ptr<TestMaster> master;
  core::ClusterSpec spec;
  std::unique_ptr<MesosBackend> backend;
  std::unique_ptr<core::Scheduler> scheduler;
};

TEST_P(MesosBackendTest, BringsUpThreeNodesOnThreeAgentsWithExactTaskInfos) {
  bringUp();
  auto info = master->lastFrameworkInfo();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->name(), "coral-t");
  EXPECT_EQ(info->hostname(), "scheduler.example");
  EXPECT_EQ(info->webui_url(), "http://scheduler.example:7480/");

  std::set<std::string> agents;
  const auto& tasks = master->launchedTasks();
  for (const std::string id : {"worker-1.1", "worker-2.1", "notebook.1"}) {
    ASSERT_TRUE(tasks.count(id)) << id;
    const v1::TaskInfo& task = tasks.at(id);
    agents.insert(task.agent_id().value());
    const std::string node = id.substr(0, id.find('.'));
    EXPECT_EQ(task.name(), "t/" + node);
    EXPECT_EQ(labelValue(task.labels(), "cluster"), "t");
    EXPECT_EQ(labelValue(task.labels(), "node"), node);
    EXPECT_EQ(labelValue(task.labels(), "role"), node == "notebook" ? "notebook" : "worker");
    EXPECT_EQ(labelValue(task.labels(), core::kLabelGeneration), "1");
    EXPECT_FALSE(labelValue(task.labels(), core::kLabelSpecHash).empty());
    EXPECT_FALSE(task.command().shell());
    // The cluster's files come over the API: no host path on the agent.
    std::map<std::string, std::string> env;
    for (const auto& variable : task.command().environment().variables())
      env[variable.name()] = variable.value();
    EXPECT_EQ(env["CORAL_FILES_URL"], "http://scheduler.example:7480/v1/node-files");
    EXPECT_EQ(env["CORAL_FILES_TOKEN"], node == "notebook" ? "api-token" : "node-token");
    EXPECT_EQ(env["CORAL_NODE"], node);
    EXPECT_EQ(env.count("CORAL_API"), node == "notebook" ? 1u : 0u);
    EXPECT_EQ(task.container().volumes_size(), 0);
    EXPECT_EQ(task.container().hostname(), node == "notebook" ? "t-0" : "t-" + node.substr(7));
    if (node == "notebook") {
      // Ready = Jupyter answers, checked by the executor inside the container.
      ASSERT_TRUE(task.has_health_check());
      EXPECT_EQ(task.health_check().type(), v1::HealthCheck::HTTP);
      EXPECT_EQ(task.health_check().http().port(), 8888u);
      EXPECT_EQ(task.health_check().http().path(), "/login");
      EXPECT_GT(task.health_check().grace_period_seconds(), 60);
    } else {
      EXPECT_FALSE(task.has_health_check());
    }
    const auto& container = task.container();
    ASSERT_EQ(container.network_infos_size(), 1);
    EXPECT_EQ(container.network_infos(0).name(), "calico");
    EXPECT_EQ(labelValue(container.network_infos(0).labels(), "node"), node);
    if (docker()) {
      EXPECT_EQ(container.type(), v1::ContainerInfo::DOCKER);
      EXPECT_EQ(container.docker().network(), v1::ContainerInfo::DockerInfo::USER);
      EXPECT_FALSE(container.docker().force_pull_image());
      EXPECT_EQ(container.docker().port_mappings_size(), 0);
      EXPECT_FALSE(hasPortsResource(task, 8888));  // the gateway holds it
      ASSERT_EQ(container.docker().parameters_size(), 1);
      EXPECT_EQ(container.docker().parameters(0).key(), "cap-add");
      EXPECT_EQ(container.docker().parameters(0).value(), "NET_ADMIN");
    } else {
      EXPECT_EQ(container.type(), v1::ContainerInfo::MESOS);
      EXPECT_EQ(container.mesos().image().type(), v1::Image::DOCKER);
      EXPECT_FALSE(container.mesos().image().docker().name().empty());
      if (node == "notebook") {
        ASSERT_EQ(container.network_infos(0).port_mappings_size(), 1);
        EXPECT_EQ(container.network_infos(0).port_mappings(0).host_port(), 8888u);
        EXPECT_EQ(container.network_infos(0).port_mappings(0).container_port(), 8888u);
        EXPECT_TRUE(hasPortsResource(task, 8888));
      } else {
        EXPECT_EQ(container.network_infos(0).port_mappings_size(), 0);
      }
    }
  }
  EXPECT_EQ(agents.size(), 3u) << "spread: one node per agent";

  for (const auto& view : scheduler->nodes()) {
    EXPECT_EQ(view.state, "running") << view.name;
    EXPECT_EQ(view.host, tasks.at(view.instance_id).agent_id().value() + ".example");
    EXPECT_EQ(view.ip.rfind("10.213.0.", 0), 0u) << view.ip;
  }

  if (docker()) {
    auto gateway = backend->gatewayTaskId();
    ASSERT_TRUE(gateway);
    const v1::TaskInfo& gw = tasks.at(*gateway);
    EXPECT_EQ(gw.agent_id().value(), tasks.at("notebook.1").agent_id().value());
    EXPECT_EQ(gw.container().type(), v1::ContainerInfo::DOCKER);
    EXPECT_EQ(gw.container().docker().network(), v1::ContainerInfo::DockerInfo::HOST);
    EXPECT_EQ(gw.container().network_infos_size(), 0);
    EXPECT_TRUE(hasPortsResource(gw, 8888));
    EXPECT_EQ(gw.command().value(), "TCP-LISTEN:8888,fork,reuseaddr");
    ASSERT_EQ(gw.command().arguments_size(), 1);
    EXPECT_EQ(gw.command().arguments(0), "TCP:" + scheduler->node("notebook")->ip + ":8888");
  } else {
    EXPECT_FALSE(backend->gatewayTaskId());
  }
  // Complete: offers suppressed.
  auto suppress = master->callsOfType(Call::SUPPRESS);
  auto revive = master->callsOfType(Call::REVIVE);
  ASSERT_FALSE(suppress.empty());
  EXPECT_FALSE(revive.empty());
}

TEST_P(MesosBackendTest, NotebookOfferWithout8888IsDeclinedAndStatusSaysWhy) {
  addAgents(false);
  startScheduler();
  ASSERT_TRUE(offerUntil([&] { return nodeTasks() == 2; }));
  ASSERT_TRUE(offerUntil([&] { return !master->callsOfType(Call::DECLINE).empty(); }));
  run(std::chrono::milliseconds(50));
  EXPECT_FALSE(master->launchedTasks().count("notebook.1"));
  auto notebook = scheduler->node("notebook");
  ASSERT_TRUE(notebook);
  EXPECT_EQ(notebook->state, "pending");
  EXPECT_NE(notebook->message.find("8888"), std::string::npos) << notebook->message;
  for (const auto& call : master->callsOfType(Call::DECLINE)) {
    EXPECT_GE(call.call.decline().filters().refuse_seconds(), 60.0);
  }
}

TEST_P(MesosBackendTest, FailedTaskIsRelaunchedWithANewTaskId) {
  bringUp();
  master->pushUpdate("worker-1.1", v1::TASK_FAILED, true);
  ASSERT_TRUE(runUntil([&] { return scheduler->node("worker-1")->state != "running"; }));
  bool reported = false;  // the failure detail reached the node's events
  for (const auto& event : scheduler->eventsAfter(0)) {
    reported |= event.node == "worker-1" && event.state == "failed" &&
                event.message.find("TASK_FAILED") != std::string::npos;
  }
  EXPECT_TRUE(reported);
  ASSERT_TRUE(offerUntil([&] { return master->launchedTasks().count("worker-1.2") > 0; }));
  master->pushUpdate("worker-1.2", v1::TASK_RUNNING, true, "10.213.0.99");
  ASSERT_TRUE(runUntil([&] { return scheduler->converged(); }));
  EXPECT_EQ(scheduler->node("worker-1")->generation, 2);
  EXPECT_EQ(scheduler->node("worker-1")->ip, "10.213.0.99");
  EXPECT_EQ(nodeTasks(), 4u);
}

TEST_P(MesosBackendTest, NotebookIsReadyOnlyOnceItsHealthCheckPasses) {
  addAgents(true);
  startScheduler();
  ASSERT_TRUE(offerUntil([&] { return nodeTasks() == 3; }));
  for (const auto& id : {"worker-1.1", "worker-2.1", "notebook.1"})
    master->pushUpdate(id, v1::TASK_RUNNING, true, std::string("10.213.0.") + (id[0] == 'n' ? "5" : "6"));
  ASSERT_TRUE(runUntil([&] { return scheduler->node("worker-1")->state == "running"; }));
  ASSERT_TRUE(runUntil([&] { return scheduler->node("notebook")->state == "starting"; }));
  EXPECT_NE(scheduler->node("notebook")->message.find("health check"), std::string::npos)
      << scheduler->node("notebook")->message;
  EXPECT_FALSE(scheduler->converged());
  if (docker()) {
    EXPECT_FALSE(backend->gatewayTaskId()) << "no gateway to a notebook that does not answer";
  }

  master->pushHealth("notebook.1", true);
  ASSERT_TRUE(runUntil([&] { return scheduler->converged(); }));
  EXPECT_EQ(scheduler->node("notebook")->ip, "10.213.0.5");
  // A failing check takes readiness away again (Mesos kills it after the grace period).
  master->pushHealth("notebook.1", false);
  ASSERT_TRUE(runUntil([&] { return scheduler->node("notebook")->state == "starting"; }));
}

TEST_P(MesosBackendTest, UnreachableTaskIsReplacedAndKilledIfItComesBack) {
  bringUp();
  auto info = master->lastFrameworkInfo();
  ASSERT_TRUE(info);
  bool partitionAware = false;
  for (const auto& capability : info->capabilities())
    partitionAware |= capability.type() == v1::FrameworkInfo::Capability::PARTITION_AWARE;
  EXPECT_TRUE(partitionAware);

  // The agent of worker-2 is partitioned: the master says UNREACHABLE (no uuid).
  master->pushUpdate("worker-2.1", v1::TASK_UNREACHABLE, false);
  ASSERT_TRUE(offerUntil([&] { return master->launchedTasks().count("worker-2.2") > 0; }));
  master->pushUpdate("worker-2.2", v1::TASK_RUNNING, true, "10.213.0.98");
  ASSERT_TRUE(runUntil([&] { return scheduler->converged(); }));

  // The agent comes back with the old task still running: no twin survives.
  auto killsOfOld = [&] {
    int n = 0;
    for (const auto& kill : master->callsOfType(Call::KILL))
      n += kill.call.kill().task_id().value() == "worker-2.1";
    return n;
  };
  const int killsBefore = killsOfOld();
  master->pushUpdate("worker-2.1", v1::TASK_RUNNING, true, "10.213.0.11");
  ASSERT_TRUE(runUntil([&] { return killsOfOld() > killsBefore; }));
  ASSERT_TRUE(runUntil([&] { return scheduler->converged(); }));
  EXPECT_EQ(scheduler->node("worker-2")->generation, 2);
  EXPECT_EQ(scheduler->node("worker-2")->ip, "10.213.0.98");
  for (const auto& kill : master->callsOfType(Call::KILL))
    EXPECT_NE(kill.call.kill().task_id().value(), "worker-2.2") << "the replacement was killed";
}

TEST_P(MesosBackendTest, RestartedSchedulerReSubscribesReconcilesAndLaunchesNoTwins) {
  bringUp();
  const std::string frameworkId = master->frameworkId();
  const std::size_t launched = master->launchedTasks().size();
  const std::size_t reconcilesBefore = master->callsOfType(Call::RECONCILE).size();
  stopScheduler();

  startScheduler();
  EXPECT_EQ(master->subscribeCount(), 2);
  EXPECT_EQ(master->frameworkId(), frameworkId);
  ASSERT_TRUE(runUntil([&] { return master->callsOfType(Call::RECONCILE).size() >= reconcilesBefore + 2; }));
  auto reconciles = master->callsOfType(Call::RECONCILE);
  const auto& explicitCall = reconciles[reconcilesBefore].call.reconcile();
  EXPECT_EQ(static_cast<std::size_t>(explicitCall.tasks_size()), launched);
  EXPECT_EQ(reconciles[reconcilesBefore + 1].call.reconcile().tasks_size(), 0);  // implicit
  for (int i = 0; i < 10; ++i) {
    master->sendOffers();
    run(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(master->launchedTasks().size(), launched) << "no twins after a restart";
  EXPECT_TRUE(master->callsOfType(Call::KILL).empty());
  ASSERT_TRUE(runUntil([&] { return scheduler->converged(); }));
  for (const auto& view : scheduler->nodes()) {
    EXPECT_EQ(view.state, "running") << view.name;
    EXPECT_FALSE(view.ip.empty()) << view.name;
    EXPECT_FALSE(view.host.empty()) << view.name;
  }
}

TEST_P(MesosBackendTest, TeardownKillsEverythingAndForgetsTheFramework) {
  bringUp();
  scheduler->setDesired(spec, {});
  ASSERT_TRUE(runUntil([&] { return scheduler->idle(); }));
  std::optional<Status> done;
  backend->teardown([&](Status s) { done = std::move(s); });
  ASSERT_TRUE(runUntil([&] { return done.has_value(); }));
  EXPECT_TRUE(done->ok()) << done->message();
  EXPECT_EQ(master->callsOfType(Call::TEARDOWN).size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(stateDir + "/framework_id"));
}

TEST_P(MesosBackendTest, ErrorEventIsFatalAndSurfaced) {
  addAgents(true);
  startScheduler();
  master->sendError("Framework has been removed");
  ASSERT_TRUE(runUntil([&] { return !backend->fatalError().empty(); }));
  EXPECT_NE(backend->fatalError().find("Framework has been removed"), std::string::npos)
      << backend->fatalError();
  EXPECT_FALSE(backend->subscribed());
}

std::string paramName(const ::testing::TestParamInfo<Param>& info) {
  return std::string(contentTypeName(std::get<0>(info.param))) + "_" +
         (std::get<1>(info.param) == Containerizer::kDocker ? "docker" : "mesos");
}

INSTANTIATE_TEST_SUITE_P(All, MesosBackendTest,
                         ::testing::Combine(::testing::Values(ContentType::kProtobuf, ContentType::kJson),
                                            ::testing::Values(Containerizer::kDocker, Containerizer::kMesos)),
                         paramName);

}  // namespace
}  // namespace coral::mesos
