// The mesos backend end to end, without a Mesos cluster: the strict test
// master runs in this process, and an emulated agent runs every task it is
// given the way the Mesos Docker containerizer does (`docker run --net
// <network> --hostname … -e … <image> <command>`), on a Docker bridge network
// that stands in for Calico's Docker network. What it proves, and the protocol
// tests cannot: nodes on "another machine" get the cluster's files (SSH keys,
// hosts inventory, notebook token, API token) over the management API, the
// notebook answers through the gateway task, and the notebook manages the
// cluster from there: `coral.nodes()`, `coral.run()` over SSH by name, and a
// scale that shows up in every node's /etc/hosts.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <csignal>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../mesos/test_master.h"
#include "api/server.h"
#include "cluster_harness.h"
#include "os/atomic_file.h"

namespace coral::testing {
namespace {

using namespace std::chrono_literals;
using mesos::testing::TestMaster;

constexpr const char* kCluster = "mtest";
constexpr const char* kNetwork = "coral-mtest";  // the Docker network the tasks join
constexpr const char* kSubnet = "10.213.90.0/24";
constexpr const char* kGateway = "10.213.90.1";
constexpr int kApiPort = 17481;
constexpr int kNotebookPort = 18890;
constexpr const char* kAgentLabel = "coral-test-agent";  // on every container the agent starts

os::ProcessOutput docker(const std::vector<std::string>& args, int timeout_seconds = 120) {
  std::vector<std::string> argv{"/usr/bin/docker"};
  argv.insert(argv.end(), args.begin(), args.end());
  os::ProcessOptions options;
  options.timeout = std::chrono::seconds(timeout_seconds);
  auto run = os::runProcess(argv, options);
  if (!run) return os::ProcessOutput{127, "", run.message()};
  return *run;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit,
             std::chrono::milliseconds poll = 200ms) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(poll);
  }
  return true;
}

void removeAgentContainers() {
  auto listed = docker({"ps", "-aq", "--filter", std::string("label=") + kAgentLabel});
  std::vector<std::string> args{"rm", "-f"};
  std::istringstream ids(listed.out);
  for (std::string id; ids >> id;) args.push_back(id);
  if (args.size() > 2) docker(args);
}

// The agents' HTTP API, as far as Coral uses it: GET /files/read on the
// executor's sandbox (/frameworks/F/executors/E/runs/latest/{stdout,stderr}),
// whose files here are the task container's output streams.
class AgentFilesApi {
 public:
  AgentFilesApi() {
    api::Router router;
    router.add("GET", "/files/read", [](const api::Request& req, api::Responder res) {
      const std::string path = req.query.count("path") ? req.query.at("path") : "";
      static const std::string kRuns = "/runs/latest/";
      const auto executors = path.find("/executors/");
      const auto runs = path.find(kRuns);
      if (path.rfind("/frameworks/", 0) != 0 || executors == std::string::npos || runs == std::string::npos) {
        return res.send(api::Response{404, "text/plain", "", {}});
      }
      const std::string executor = path.substr(executors + 11, runs - executors - 11);
      const std::string file = path.substr(runs + kRuns.size());
      auto logs = docker({"logs", "mesos-" + executor});
      if (logs.exit_code != 0 || (file != "stdout" && file != "stderr")) {
        return res.send(api::Response{404, "text/plain", "", {}});
      }
      const std::string& data = file == "stdout" ? logs.out : logs.err;
      const long long offset = std::stoll(req.query.at("offset"));
      if (offset < 0) return res.send(api::jsonResponse({{"data", ""}, {"offset", data.size()}}));
      const std::size_t length = req.query.count("length") ? std::stoull(req.query.at("length")) : data.size();
      res.send(api::jsonResponse(
          {{"data", offset < static_cast<long long>(data.size()) ? data.substr(offset, length) : ""},
           {"offset", offset}}));
    });
    server_ = std::make_unique<api::Server>(io_, std::move(router), api::AuthPolicy{"", {"/files/read"}, {}});
    EXPECT_TRUE(server_->listenTcp("127.0.0.1", 0));
    work_.emplace(boost::asio::make_work_guard(io_));
    thread_ = std::thread([this] { io_.run(); });
  }
  ~AgentFilesApi() {
    boost::asio::post(io_, [this] { server_->stop(); });
    work_.reset();
    thread_.join();
  }
  int port() const { return server_->tcpPort(); }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<api::Server> server_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

// Three agents of the test master, each running its tasks with Docker the way
// the Mesos Docker containerizer would. Runs on its own thread, which alone
// touches the master.
class EmulatedAgents {
 public:
  EmulatedAgents() {
    TestMaster::Options options;
    // Slow enough that a `docker run` on the agent thread never looks like a lost master.
    options.heartbeatPeriod = std::chrono::milliseconds(5000);
    master_ = std::make_unique<TestMaster>(io_, options);
    for (int i = 1; i <= 3; ++i) {
      master_->addAgent("agent-" + std::to_string(i), 4, 4096,
                        {{kNotebookPort, kNotebookPort}, {31000, 32000}});
      master_->setAgentUrl("agent-" + std::to_string(i), "127.0.0.1", files_api_.port());
    }
    endpoint_ = master_->endpoint().toString();
    thread_ = std::thread([this] { loop(); });
  }
  ~EmulatedAgents() {
    stop_ = true;
    thread_.join();
    master_.reset();
    removeAgentContainers();
  }

  std::string masterUrl() const { return "http://" + endpoint_; }
  // Runs `script` on the agents' thread, the only one that touches the master.
  void withMaster(const std::function<void(TestMaster&)>& script) {
    std::promise<void> done;
    auto finished = done.get_future();
    boost::asio::post(io_, [&] {
      script(*master_);
      done.set_value();
    });
    finished.wait();
  }
  int tornDown() const { return teardowns_; }
  std::vector<std::string> problems() {
    std::lock_guard lock(mutex_);
    return problems_;
  }
  // Container name of a running task by node name ("" when none).
  std::string containerOf(const std::string& node) {
    std::lock_guard lock(mutex_);
    auto found = containers_.find(node);
    return found == containers_.end() ? "" : found->second;
  }

 private:
  void loop() {
    auto last_offer = std::chrono::steady_clock::now() - 1s;
    std::size_t kills_seen = 0;
    while (!stop_) {
      io_.restart();
      io_.run_for(20ms);
      teardowns_ = static_cast<int>(master_->callsOfType(mesos::v1::scheduler::Call::TEARDOWN).size());
      if (teardowns_ > 0 && !torn_) {
        torn_ = true;
        for (const auto& id : started_) remove(id);
      }
      if (!master_->subscribed()) continue;
      for (const auto& [id, task] : master_->launchedTasks()) {
        if (started_.insert(id).second) start(task);
      }
      auto kills = master_->callsOfType(mesos::v1::scheduler::Call::KILL);
      for (; kills_seen < kills.size(); ++kills_seen) {
        remove(kills[kills_seen].call.kill().task_id().value());
      }
      checkHealth();
      // The master re-offers free resources; the scheduler suppresses when it needs none.
      if (std::chrono::steady_clock::now() - last_offer > 300ms) {
        master_->sendOffers();
        last_offer = std::chrono::steady_clock::now();
      }
    }
  }

  static std::string containerName(const std::string& task_id) {
    std::string name = "mesos-" + task_id;
    for (char& c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
    }
    return name;
  }

  // What the Mesos Docker containerizer runs for a TaskInfo with
  // ContainerInfo.type DOCKER and a command executor.
  void start(const mesos::v1::TaskInfo& task) {
    const std::string id = task.task_id().value();
    const auto& container = task.container();
    std::vector<std::string> args{"run", "-d", "--name", containerName(id), "--label",
                                  std::string(kAgentLabel) + "=1"};
    const bool user_network =
        container.docker().network() == mesos::v1::ContainerInfo::DockerInfo::USER;
    if (user_network) {
      if (container.network_infos_size() != 1) {
        fail(id + ": a USER network needs exactly one network_infos entry");
        return;
      }
      args.push_back("--net=" + container.network_infos(0).name());
    } else {
      args.push_back("--net=host");
    }
    if (!container.hostname().empty()) args.push_back("--hostname=" + container.hostname());
    for (const auto& resource : task.resources()) {
      if (resource.name() == "cpus")
        args.push_back(fmt::format("--cpu-shares={}", static_cast<int>(resource.scalar().value() * 1024)));
      if (resource.name() == "mem")
        args.push_back(fmt::format("--memory={}m", static_cast<int>(resource.scalar().value())));
    }
    for (const auto& variable : task.command().environment().variables())
      args.push_back("-e" + variable.name() + "=" + variable.value());
    for (const auto& parameter : container.docker().parameters())
      args.push_back("--" + parameter.key() + "=" + parameter.value());
    args.push_back(container.docker().image());
    if (task.command().shell()) {
      fail(id + ": shell commands are not what Coral sends");
      return;
    }
    if (task.command().has_value()) args.push_back(task.command().value());
    for (const auto& argument : task.command().arguments()) args.push_back(argument);

    auto ran = docker(args);
    if (ran.exit_code != 0) {
      master_->pushUpdate(id, mesos::v1::TASK_FAILED, true);
      fail(id + ": docker run failed: " + ran.err);
      return;
    }
    std::string ip;
    if (user_network) {
      ip = trimmed(docker({"inspect", "-f",
                           "{{(index .NetworkSettings.Networks \"" + container.network_infos(0).name() +
                               "\").IPAddress}}",
                           containerName(id)})
                       .out);
    }
    master_->pushUpdate(id, mesos::v1::TASK_STARTING, true);
    master_->pushUpdate(id, mesos::v1::TASK_RUNNING, true, ip);
    if (task.has_health_check()) {
      if (task.health_check().type() != mesos::v1::HealthCheck::HTTP || ip.empty()) {
        fail(id + ": only HTTP health checks on a container address are emulated");
      } else {
        unhealthy_[id] = fmt::format("http://{}:{}{}", ip, task.health_check().http().port(),
                                     task.health_check().http().path());
      }
    }
    std::string node;
    for (const auto& label : task.labels().labels())
      if (label.key() == "node" && id.find("-gateway.") == std::string::npos) node = label.value();
    std::lock_guard lock(mutex_);
    if (!node.empty()) containers_[node] = containerName(id);
  }

  // The executor's HTTP health check (healthy on 2xx/3xx), until it first passes.
  void checkHealth() {
    if (unhealthy_.empty() || std::chrono::steady_clock::now() < next_health_check_) return;
    next_health_check_ = std::chrono::steady_clock::now() + 500ms;
    for (auto it = unhealthy_.begin(); it != unhealthy_.end();) {
      auto code = os::runProcess({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                  "--max-time", "1", it->second});
      const std::string status = code ? trimmed(code->out) : "";
      if (status.size() == 3 && (status[0] == '2' || status[0] == '3')) {
        master_->pushHealth(it->first, true);
        it = unhealthy_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void remove(const std::string& task_id) {
    unhealthy_.erase(task_id);
    docker({"rm", "-f", containerName(task_id)});
    std::lock_guard lock(mutex_);
    std::erase_if(containers_, [&](const auto& entry) { return entry.second == containerName(task_id); });
  }

  void fail(const std::string& problem) {
    std::lock_guard lock(mutex_);
    problems_.push_back(problem);
  }

  AgentFilesApi files_api_;
  boost::asio::io_context io_;
  std::unique_ptr<TestMaster> master_;
  std::string endpoint_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> teardowns_{0};
  bool torn_ = false;
  std::set<std::string> started_;
  std::map<std::string, std::string> unhealthy_;  // task -> health check URL
  std::chrono::steady_clock::time_point next_health_check_;
  std::mutex mutex_;
  std::map<std::string, std::string> containers_;  // node -> container
  std::vector<std::string> problems_;
};

class MesosAgents : public ::testing::Test {
 protected:
  void SetUp() override {
    removeAgentContainers();
    docker({"network", "rm", kNetwork});
    auto created = docker({"network", "create", "--subnet", kSubnet, "--gateway", kGateway, kNetwork});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    state_dir_ = makeTempDir("coral-mesos-agents");
    agents_ = std::make_unique<EmulatedAgents>();
    spec_file_ = state_dir_ + ".yaml";
    ASSERT_TRUE(writeText(spec_file_, fmt::format("cluster: {}\nworkers: 2\nnetwork:\n  name: {}\n"
                                                  "  subnet: {}\nnotebook:\n  port: {}\n",
                                                  kCluster, kNetwork, kSubnet, kNotebookPort)));
  }

  void TearDown() override {
    // A daemon that `down` could not stop must not outlive the test.
    const std::string lock = state_dir_ + "/daemon.lock";
    if (std::filesystem::exists(lock)) {
      auto pid = os::readFile(lock);
      if (pid && std::atoi(pid->c_str()) > 0) ::kill(std::atoi(pid->c_str()), SIGKILL);
    }
    agents_.reset();
    docker({"network", "rm", kNetwork});
    std::filesystem::remove_all(state_dir_);
    std::filesystem::remove(spec_file_);
  }

  // The daemon holds an exclusive flock on daemon.lock while it runs.
  bool daemonRunning() const {
    int fd = ::open((state_dir_ + "/daemon.lock").c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    ::close(fd);
    return !free;
  }

  os::ProcessOutput inContainer(const std::string& container, const std::string& script) {
    return docker({"exec", container, "bash", "-c", script}, 60);
  }

  std::string state_dir_;
  std::string spec_file_;
  std::unique_ptr<EmulatedAgents> agents_;
};

TEST_F(MesosAgents, NodesOnAgentsFetchTheirFilesAndTheNotebookManagesTheCluster) {
  auto up = coral({"up", "--backend", "mesos", "--master", agents_->masterUrl(), "--api-address",
                   fmt::format("{}:{}", kGateway, kApiPort), "--state-dir", state_dir_, "-f",
                   spec_file_, "--timeout", "180"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_TRUE(agents_->problems().empty()) << agents_->problems().front();

  auto status = clusterStatus(state_dir_);
  ASSERT_TRUE(status) << status.message();
  EXPECT_EQ((*status)["backend"], "mesos");
  ASSERT_EQ((*status)["nodes"].size(), 3u) << status->dump(2);
  std::set<std::string> hosts;
  for (const auto& node : (*status)["nodes"]) {
    EXPECT_EQ(node["state"], "running") << node.dump();
    EXPECT_EQ(node["ip"].get<std::string>().rfind("10.213.90.", 0), 0u) << node.dump();
    hosts.insert(node["host"].get<std::string>());
  }
  EXPECT_EQ(hosts.size(), 3u) << "one node per agent";

  // The notebook fetched its token: Jupyter answers through the gateway task
  // with it, and refuses without it.
  auto token = os::readFile(state_dir_ + "/notebook-token");
  ASSERT_TRUE(token);
  const std::string url = fmt::format("http://127.0.0.1:{}/api/kernelspecs", kNotebookPort);
  auto http = [](const std::string& target) {
    auto run = os::runProcess({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time",
                               "5", target});
    return run ? trimmed(run->out) : "";
  };
  EXPECT_TRUE(waitFor([&] { return http(url + "?token=" + trimmed(*token)) == "200"; }, 90s))
      << "the notebook never answered with its token through the gateway on port " << kNotebookPort;
  EXPECT_EQ(http(url), "403");

  const std::string notebook = agents_->containerOf("notebook");
  const std::string worker = agents_->containerOf("worker-1");
  ASSERT_FALSE(notebook.empty());
  ASSERT_FALSE(worker.empty());

  // The control room: the API over TCP, and ssh by name to every node (keys
  // and the hosts inventory came over the API).
  auto nodes = inContainer(notebook, "python3 -c 'import coral; print(len(coral.nodes()))'");
  EXPECT_EQ(trimmed(nodes.out), "3") << nodes.err;
  // The inventory reaches /etc/hosts within a few seconds of the last node's address.
  const std::string expected =
      "[('notebook', 0, 'mtest-0'), ('worker-1', 0, 'mtest-1'), ('worker-2', 0, 'mtest-2')]";
  os::ProcessOutput run;
  EXPECT_TRUE(waitFor(
      [&] {
        run = inContainer(notebook,
                          "python3 -c 'import coral; r = coral.run(\"hostname\"); "
                          "print(sorted((x[\"node\"], x[\"exit_code\"], x[\"stdout\"].strip()) for x in r)); "
                          "print(r, file=__import__(\"sys\").stderr)'");
        return trimmed(run.out) == expected;
      },
      30s, 1s))
      << run.out << run.err << inContainer(notebook, "cat /etc/hosts").out;

  // A worker's token reads the shared files only, never the notebook's key.
  const std::string fetch =
      "curl -s -o /dev/null -w '%{http_code}' -H \"Authorization: Bearer $CORAL_FILES_TOKEN\" "
      "\"$CORAL_FILES_URL/";
  EXPECT_EQ(inContainer(worker, fetch + "share/hosts\"").out, "200");
  EXPECT_EQ(inContainer(worker, fetch + "notebook/id_ed25519\"").out, "403");
  EXPECT_EQ(inContainer(worker, "curl -s -o /dev/null -w '%{http_code}' \"$CORAL_FILES_URL/share/hosts\"").out,
            "401");

  // `coral logs` reads the task's sandbox through its agent's /files API.
  auto logs = coral({"logs", "notebook", "--tail", "50", "--state-dir", state_dir_});
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("NotebookApp"), std::string::npos)
      << logs.out << logs.err << "\ndocker logs: " << docker({"logs", notebook}).err;

  // The scheduler is killed and started again by a plain `coral up` (the
  // state dir remembers the master): it re-subscribes with the same framework
  // ID, reconciles, adopts its tasks and launches no twins; no node stopped.
  std::string framework_id;
  std::size_t launched = 0;
  int subscribes = 0, reconciles = 0;
  agents_->withMaster([&](TestMaster& master) {
    framework_id = master.frameworkId();
    launched = master.launchedTasks().size();
    subscribes = master.subscribeCount();
    reconciles = static_cast<int>(master.callsOfType(mesos::v1::scheduler::Call::RECONCILE).size());
  });
  auto pid = os::readFile(state_dir_ + "/daemon.lock");
  ASSERT_TRUE(pid && std::atoi(pid->c_str()) > 0);
  ASSERT_EQ(::kill(std::atoi(pid->c_str()), SIGKILL), 0);
  ASSERT_TRUE(waitFor([&] { return !daemonRunning(); }, 10s));
  auto again = coral({"up", "--state-dir", state_dir_, "-f", spec_file_, "--timeout", "120"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("on backend mesos"), std::string::npos) << again.out;
  agents_->withMaster([&](TestMaster& master) {
    EXPECT_EQ(master.subscribeCount(), subscribes + 1);
    EXPECT_EQ(master.frameworkId(), framework_id);
    EXPECT_GE(static_cast<int>(master.callsOfType(mesos::v1::scheduler::Call::RECONCILE).size()),
              reconciles + 2) << "explicit and implicit reconciliation after the re-subscription";
    EXPECT_EQ(master.launchedTasks().size(), launched) << "twins launched after the restart";
  });
  EXPECT_EQ(agents_->containerOf("notebook"), notebook) << "the notebook was replaced";
  EXPECT_EQ(agents_->containerOf("worker-1"), worker) << "worker-1 was replaced";

  // A MAC deny rule is enforced by the sender (on Calico no node sees another
  // machine's MAC): worker-1's pings to the notebook stop, worker-2's do not,
  // and removing the policy lets them through again.
  const std::string worker2 = agents_->containerOf("worker-2");
  ASSERT_FALSE(worker2.empty());
  std::string notebook_ip;
  for (const auto& node : (*status)["nodes"])
    if (node["name"] == "notebook") notebook_ip = node["ip"];
  const std::string ping = "ping -c1 -W1 " + notebook_ip;
  ASSERT_EQ(inContainer(worker, ping).exit_code, 0) << "the network works before any policy";
  const std::string mac = trimmed(inContainer(worker, "cat /sys/class/net/eth0/address").out);
  ASSERT_EQ(mac.size(), 17u) << mac;
  const std::string rules = state_dir_ + "-rules.yaml";
  ASSERT_TRUE(writeText(rules, "- {name: block-w1, nodes: [notebook], deny: {mac: \"" + mac + "\"}}\n"));
  auto applied = coral({"policy", "apply", "-f", rules, "--state-dir", state_dir_});
  std::filesystem::remove(rules);
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_TRUE(waitFor([&] { return inContainer(worker, ping).exit_code != 0; }, 20s))
      << inContainer(worker, "iptables -S CORAL-MAC").out;
  EXPECT_EQ(inContainer(worker2, ping).exit_code, 0) << "another node is not affected";
  auto listed = coral({"policy", "list", "--state-dir", state_dir_});
  EXPECT_NE(listed.out.find("at the sender"), std::string::npos) << listed.out;
  auto removed = coral({"policy", "rm", "block-w1", "--state-dir", state_dir_});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_TRUE(waitFor([&] { return inContainer(worker, ping).exit_code == 0; }, 20s));

  // Scaling reaches every node's /etc/hosts through the API.
  auto scaled = coral({"scale", "3", "--state-dir", state_dir_});
  ASSERT_EQ(scaled.exit_code, 0) << scaled.out << scaled.err;
  EXPECT_TRUE(waitFor(
      [&] { return inContainer(worker, "grep -qw mtest-3 /etc/hosts").exit_code == 0; }, 60s))
      << inContainer(worker, "cat /etc/hosts").out;
  EXPECT_TRUE(waitFor(
      [&] { return inContainer(notebook, "ssh -o BatchMode=yes mtest-3 hostname").out == "mtest-3\n"; },
      60s));

  // `down` while no master answers says so instead of hanging (after 30 s),
  // and the daemon finishes the teardown by itself once a master is back.
  agents_->withMaster([](TestMaster& master) {
    master.failNext(1000000);  // 503 "No leader elected" for every request
    master.dropStreamMidRecord();
  });
  auto stuck = coral({"down", "--state-dir", state_dir_}, 120);
  EXPECT_EQ(stuck.exit_code, 1) << stuck.out << stuck.err;
  EXPECT_NE(stuck.err.find("Mesos master cannot be reached"), std::string::npos) << stuck.err;
  EXPECT_EQ(agents_->tornDown(), 0);
  agents_->withMaster([](TestMaster& master) { master.failNext(0); });
  EXPECT_TRUE(waitFor([&] { return agents_->tornDown() == 1; }, 60s)) << "no TEARDOWN once the master was back";
  EXPECT_TRUE(waitFor([&] { return !daemonRunning(); }, 30s)) << "the daemon did not exit after the teardown";

  // A second `down` finds nothing left to kill and removes the state dir.
  auto down = coral({"down", "--state-dir", state_dir_});
  EXPECT_EQ(down.exit_code, 0) << down.out << down.err;
  EXPECT_FALSE(std::filesystem::exists(state_dir_));
  // The agents stop every task of the torn-down framework.
  EXPECT_TRUE(waitFor(
      [&] { return trimmed(docker({"ps", "-aq", "--filter", std::string("label=") + kAgentLabel}).out).empty(); },
      30s));
}

}  // namespace
}  // namespace coral::testing
