// The notebook is the control room (issue 4), end to end on real Docker, CNI
// plugins and Jupyter: Cluster.ipynb executed headless inside the notebook
// node, the management API over the unix socket and over TCP from inside the
// cluster, concurrent scaling, the event stream, and SSH from the notebook.
//
// One cluster for the whole suite, named `room` on 10.213.70.0/24 with the
// notebook on host port 18880 so that it never clashes with the spine test's
// `coral` cluster; tests run in order and share it. Workers ask for 0.1 CPU so
// that 8 workers and the notebook fit the offers of a 2-CPU machine.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "api/client.h"
#include "cluster_harness.h"
#include "docker/docker_client.h"
#include "jupyter_client.h"
#include "os/atomic_file.h"

namespace coral::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const char* kCluster = "room";
const char* kSubnetPrefix = "10.213.70.";
const char* kApiAddress = "10.213.70.1:7480";
constexpr int kNotebookPort = 18880;
const char* kSpec =
    "cluster: room\n"
    "workers: 3\n"
    "network: {subnet: 10.213.70.0/24}\n"
    "notebook: {port: 18880}\n"
    "resources:\n"
    "  worker: {cpus: 0.1, mem: 128}\n"
    "  notebook: {cpus: 1, mem: 1024}\n";

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

// Polls `done` every `interval` until it returns true or `timeout` passes.
bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout,
             std::chrono::milliseconds interval = 200ms) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

// Events of one SSE subscription, filled by its reader thread.
struct EventLog {
  std::mutex mutex;
  std::vector<nlohmann::json> events;
  std::atomic<bool> finished{false};
  std::string failure;
};

class ControlRoom : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(makeTempDir("coral-room"));
    state_dir_ = new std::string(*dir_ + "/state");
    before_ = new HostFootprint(footprint(kCluster, kSubnetPrefix));
    const std::string spec_path = *dir_ + "/room.yaml";
    up_ = new os::ProcessOutput;
    if (auto written = writeText(spec_path, kSpec); !written) {
      *up_ = os::ProcessOutput{-1, "", written.message()};
      return;
    }
    *up_ = coral({"up", "-f", spec_path, "--state-dir", *state_dir_});
  }

  static void TearDownTestSuite() {
    // Whatever happened above, the machine is left as it was found.
    if (std::filesystem::exists(*state_dir_)) {
      auto down = coral({"down", "--state-dir", *state_dir_});
      if (down.exit_code != 0) std::cerr << "coral down failed: " << down.out << down.err << "\n";
    }
    // `down` closes every event stream, so a reader still waiting returns.
    if (sse_thread_ && sse_thread_->joinable()) sse_thread_->join();
    docker::DockerClient docker;
    if (auto left = docker.listContainers({{"coral.cluster", kCluster}}, true); left && !left->empty()) {
      std::cerr << "removing " << left->size() << " container(s) that `coral down` left behind\n";
      for (const auto& c : *left) (void)docker.removeContainer(c.id, true);
    }
    std::filesystem::remove_all(*dir_);
  }

  // ---- the cluster as the API sees it ----

  static std::string apiToken() {
    auto text = os::readFile(*state_dir_ + "/api-token");
    return text ? trimmed(*text) : "";
  }

  static Result<api::Response> call(const std::string& method, const std::string& target,
                                    const std::string& body = "",
                                    std::optional<std::string> token = std::nullopt) {
    api::Client client({.unix_path = *state_dir_ + "/api.sock"}, token ? *token : apiToken());
    return client.request(method, target, body);
  }

  static nlohmann::json status() {
    auto answer = call("GET", "/v1/cluster");
    if (!answer || answer->status != 200) return nlohmann::json::object();
    auto parsed = nlohmann::json::parse(answer->body, nullptr, false);
    return parsed.is_discarded() ? nlohmann::json::object() : parsed;
  }

  static nlohmann::json node(const std::string& name) {
    for (const auto& n : status().value("nodes", nlohmann::json::array())) {
      if (n["name"] == name) return n;
    }
    return nlohmann::json::object();
  }

  // Every desired node runs, nothing else exists, and there are `workers` workers.
  static bool convergedWith(int workers) {
    auto s = status();
    if (!s.value("converged", false)) return false;
    int running_workers = 0;
    for (const auto& n : s["nodes"]) {
      if (n["state"] != "running") return false;
      if (n["role"] == "worker") ++running_workers;
    }
    return running_workers == workers;
  }

  static int containerCount() {
    docker::DockerClient docker;
    auto listed = docker.listContainers({{"coral.cluster", kCluster}}, true);
    return listed ? static_cast<int>(listed->size()) : -1;
  }

  // The number in "<name> <number>" of /metrics, or -1.
  static double metric(const std::string& name) {
    auto answer = call("GET", "/metrics");
    if (!answer || answer->status != 200) return -1;
    std::istringstream lines(answer->body);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    }
    return -1;
  }

  // ---- inside the notebook node ----

  static Result<docker::ExecResult> inNotebook(const std::vector<std::string>& argv,
                                                std::chrono::milliseconds timeout = 60s) {
    std::string id = node("notebook").value("instance", "");
    if (id.empty()) return makeError("the cluster has no notebook container");
    docker::DockerClient docker;
    return docker.exec(id, argv, timeout);
  }

  static Result<docker::ExecResult> shellInNotebook(const std::string& script,
                                                     std::chrono::milliseconds timeout = 60s) {
    return inNotebook({"bash", "-c", script}, timeout);
  }

  // curl from the notebook to $CORAL_API; `args` is shell text (it may use
  // $TOKEN, read from $CORAL_TOKEN_FILE). Returns the status and the body.
  static std::pair<int, std::string> curlFromNotebook(const std::string& args) {
    auto run = shellInNotebook("TOKEN=$(cat \"$CORAL_TOKEN_FILE\"); curl -sS --max-time 20 -w '\\n%{http_code}' " + args);
    if (!run) return {-1, run.message()};
    std::string out = trimmed(run->out);
    auto last = out.rfind('\n');
    if (last == std::string::npos) return {-1, out + run->err};
    return {std::atoi(out.substr(last + 1).c_str()), out.substr(0, last)};
  }

  static std::string* dir_;
  // The daemon's warnings, errors and failed nodes so far, to show why a check failed.
  static std::string problemsInDaemonLog() {
    std::ifstream in(*state_dir_ + "/daemon.log");
    std::string problems;
    for (std::string line; std::getline(in, line);) {
      if (line.find("[warning]") != std::string::npos || line.find("[error]") != std::string::npos ||
          line.find(": failed") != std::string::npos) {
        problems += line + "\n";
      }
    }
    return "daemon log warnings and errors:\n" + problems;
  }

  static std::string* state_dir_;
  static HostFootprint* before_;
  static os::ProcessOutput* up_;
  static std::thread* sse_thread_;
};

std::string* ControlRoom::dir_ = nullptr;
std::string* ControlRoom::state_dir_ = nullptr;
HostFootprint* ControlRoom::before_ = nullptr;
os::ProcessOutput* ControlRoom::up_ = nullptr;
std::thread* ControlRoom::sse_thread_ = nullptr;

// {"error": {"code", "message"}} with the given status and code.
void expectError(const Result<api::Response>& answer, int status, const std::string& code,
                 const std::string& what) {
  ASSERT_TRUE(answer.ok()) << what << ": " << answer.message();
  EXPECT_EQ(answer->status, status) << what << ": " << answer->body;
  auto body = nlohmann::json::parse(answer->body, nullptr, false);
  ASSERT_TRUE(body.is_object() && body.contains("error")) << what << ": " << answer->body;
  EXPECT_EQ(body["error"].value("code", ""), code) << what << ": " << answer->body;
  EXPECT_FALSE(body["error"].value("message", "").empty()) << what << ": " << answer->body;
}

TEST_F(ControlRoom, UpBringsUpThreeWorkersAndTheNotebook) {
  EXPECT_TRUE(before_->containers.empty() && before_->subnet_routes.empty() &&
              before_->iptables_rules_for_subnet.empty())
      << "containers, routes or iptables rules of a cluster `room` on 10.213.70.0/24 existed "
         "before this test (left by an earlier run?): "
      << ::testing::PrintToString(before_->containers) << " "
      << ::testing::PrintToString(before_->subnet_routes) << " "
      << ::testing::PrintToString(before_->iptables_rules_for_subnet);
  ASSERT_EQ(up_->exit_code, 0) << up_->out << up_->err;
  auto s = status();
  EXPECT_EQ(s["cluster"], kCluster);
  int workers = 0;
  for (const auto& n : s["nodes"]) {
    EXPECT_EQ(n["state"], "running") << n.dump();
    if (n["role"] == "worker") ++workers;
  }
  EXPECT_EQ(workers, 3);
  EXPECT_EQ(containerCount(), 4);
}

TEST_F(ControlRoom, ClusterNotebookRunsHeadlessInsideTheNotebook) {
  const auto started = Clock::now();
  auto run = inNotebook({"jupyter", "nbconvert", "--to", "notebook", "--execute", "/root/Cluster.ipynb",
                         "--output", "/tmp/out.ipynb", "--ExecutePreprocessor.timeout=600"},
                        900s);
  ASSERT_TRUE(run.ok()) << run.message();
  ASSERT_EQ(run->exit_code, 0) << run->out << run->err;
  std::cout << "[ control room ] Cluster.ipynb ran in "
            << std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count() << " s\n";

  auto read = inNotebook({"cat", "/tmp/out.ipynb"});
  ASSERT_TRUE(read.ok()) << read.message();
  auto notebook = nlohmann::json::parse(read->out, nullptr, false);
  ASSERT_FALSE(notebook.is_discarded()) << read->out.substr(0, 500);
  ASSERT_EQ(notebook.value("nbformat", 0), 4);

  // Every line the cells printed, in order; no cell may have raised.
  std::vector<std::string> lines;
  int code_cells = 0;
  for (const auto& cell : notebook["cells"]) {
    if (cell["cell_type"] != "code") continue;
    ++code_cells;
    for (const auto& output : cell["outputs"]) {
      EXPECT_NE(output["output_type"], "error") << output.dump();
      if (output["output_type"] != "stream") continue;
      std::string text;
      if (output["text"].is_array()) {
        for (const auto& part : output["text"]) text += part.get<std::string>();
      } else {
        text = output["text"].get<std::string>();
      }
      std::istringstream split(text);
      for (std::string line; std::getline(split, line);) lines.push_back(line);
    }
  }
  EXPECT_GE(code_cells, 7);
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  auto has = [&](const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  };
  EXPECT_TRUE(has(std::string("CORAL_API=http://") + kApiAddress)) << all;
  EXPECT_TRUE(has("NODES=4 RUNNING=4")) << all;
  EXPECT_TRUE(has("WORKERS_BEFORE=3")) << all;
  EXPECT_TRUE(has("UNAME_OK=4/4")) << all;
  EXPECT_TRUE(has("WORKERS_AFTER_SCALE_UP=5")) << all;
  EXPECT_TRUE(has("NEW_WORKERS_SSH=worker-4:room-4 worker-5:room-5")) << all;
  EXPECT_TRUE(has("WORKERS_AFTER_SCALE_DOWN=3")) << all;
  EXPECT_TRUE(has("WORKER_NAMES=worker-1,worker-2,worker-3")) << all;
  EXPECT_TRUE(has("RESTART_GENERATION_BEFORE=1")) << all;
  EXPECT_TRUE(has("RESTARTED worker-2 generation 2 running")) << all;
  EXPECT_TRUE(has("RESTARTED_HOSTNAME worker-2 room-2")) << all;
  EXPECT_TRUE(has("PING_PAIRS=16 PING_FAILURES=0")) << all;
  EXPECT_TRUE(has("CLUSTER=room BACKEND=local NETWORK=calico CONVERGED=True")) << all;
  EXPECT_TRUE(has("CLUSTER_NOTEBOOK_DONE")) << all;
  // The restart as the notebook watched it: the stop first, running last.
  std::smatch events;
  ASSERT_TRUE(std::regex_search(all, events, std::regex("RESTART_EVENTS worker-2: (.*)\n"))) << all;
  std::string chain = events[1];
  EXPECT_EQ(chain.rfind("stopping -> ", 0), 0u) << chain;
  EXPECT_TRUE(chain.size() > 11 && chain.substr(chain.size() - 11) == " -> running") << chain;
  EXPECT_NE(chain.find("starting"), std::string::npos) << chain;

  // From the outside: back to 3 workers, worker-2 replaced once.
  EXPECT_TRUE(convergedWith(3)) << status().dump();
  EXPECT_EQ(node("worker-2")["generation"], 2);
  EXPECT_EQ(containerCount(), 4);
}

TEST_F(ControlRoom, ApiWantsTheTokenOverTheUnixSocket) {
  expectError(call("GET", "/v1/nodes", "", ""), 401, "unauthorized", "no token");
  expectError(call("GET", "/v1/nodes", "", "wrong"), 401, "unauthorized", "wrong token");
  expectError(call("GET", "/v1/cluster", "", apiToken() + "x"), 401, "unauthorized", "token + x");
  expectError(call("POST", "/v1/nodes", R"({"workers": 7})", "wrong"), 401, "unauthorized", "scale, wrong token");
  expectError(call("POST", "/v1/nodes/worker-1/restart", "", ""), 401, "unauthorized", "restart, no token");
  expectError(call("GET", "/metrics", "", ""), 401, "unauthorized", "metrics, no token");
  auto health = call("GET", "/healthz", "", "");
  ASSERT_TRUE(health.ok()) << health.message();
  EXPECT_EQ(health->status, 200);
  // Nothing was changed by the refused requests.
  EXPECT_TRUE(convergedWith(3)) << status().dump();
  EXPECT_EQ(node("worker-1")["generation"], 1);
}

TEST_F(ControlRoom, BadInputIs400AndChangesNothing) {
  for (const std::string body : {"{", "{\"workers\": ", "{\"workers\": \"three\"}", "{\"workers\": 0}",
                                 "{\"workers\": -1}", "{\"workers\": 201}", "{\"workers\": 2.5}",
                                 "{\"workers\": null}", "{\"nodes\": 4}", "[4]", "4"}) {
    expectError(call("POST", "/v1/nodes", body), 400, "bad_request", "POST /v1/nodes " + body);
  }
  expectError(call("POST", "/v1/nodes"), 400, "bad_request", "POST /v1/nodes without a body");
  expectError(call("GET", "/v1/nodes/worker-1/logs?tail=abc"), 400, "bad_request", "tail=abc");
  expectError(call("GET", "/v1/nodes/worker-1/logs?tail=5x"), 400, "bad_request", "tail=5x");
  expectError(call("GET", "/v1/events?since=soon"), 400, "bad_request", "since=soon");
  expectError(call("PUT", "/v1/spec", R"({"yaml": "workers: three\n"})"), 400, "rejected", "bad spec");
  auto logs = call("GET", "/v1/nodes/worker-1/logs?tail=5");
  ASSERT_TRUE(logs.ok()) << logs.message();
  EXPECT_EQ(logs->status, 200) << logs->body;
  EXPECT_TRUE(convergedWith(3)) << status().dump();
  EXPECT_EQ(containerCount(), 4);
}

TEST_F(ControlRoom, UnknownNodesAre404) {
  expectError(call("GET", "/v1/nodes/worker-99"), 404, "not_found", "GET");
  expectError(call("POST", "/v1/nodes/worker-99/restart"), 404, "not_found", "restart");
  expectError(call("DELETE", "/v1/nodes/worker-99"), 404, "not_found", "DELETE");
  expectError(call("GET", "/v1/nodes/worker-99/logs"), 404, "not_found", "logs");
  auto answer = call("GET", "/v1/nodes/worker-99");
  ASSERT_TRUE(answer.ok());
  EXPECT_NE(answer->body.find("worker-99"), std::string::npos) << answer->body;
}

TEST_F(ControlRoom, ConflictingOperationsAre409) {
  auto first = call("POST", "/v1/nodes/worker-1/restart");
  ASSERT_TRUE(first.ok()) << first.message();
  ASSERT_EQ(first->status, 202) << first->body;
  // worker-1 is now stopping: restarting it again conflicts.
  expectError(call("POST", "/v1/nodes/worker-1/restart"), 409, "conflict", "second restart");
  // Only the newest worker can be deleted by name.
  expectError(call("DELETE", "/v1/nodes/worker-1"), 409, "conflict", "DELETE worker-1");
  ASSERT_TRUE(waitFor([] { return convergedWith(3) && node("worker-1")["generation"] == 2; }, 120s))
      << status().dump();
}

TEST_F(ControlRoom, NotebookReachesTheApiOverTcpOnTheGateway) {
  auto env = shellInNotebook("echo \"$CORAL_API\"");
  ASSERT_TRUE(env.ok()) << env.message();
  EXPECT_EQ(trimmed(env->out), std::string("http://") + kApiAddress);

  auto [no_token, no_token_body] = curlFromNotebook("\"$CORAL_API/v1/nodes\"");
  EXPECT_EQ(no_token, 401) << no_token_body;
  EXPECT_NE(no_token_body.find("\"unauthorized\""), std::string::npos) << no_token_body;
  auto [wrong, wrong_body] = curlFromNotebook("-H 'Authorization: Bearer wrong' \"$CORAL_API/v1/nodes\"");
  EXPECT_EQ(wrong, 401) << wrong_body;

  auto [nodes, nodes_body] = curlFromNotebook("-H \"Authorization: Bearer $TOKEN\" \"$CORAL_API/v1/nodes\"");
  ASSERT_EQ(nodes, 200) << nodes_body;
  auto listed = nlohmann::json::parse(nodes_body, nullptr, false);
  ASSERT_TRUE(listed.is_array()) << nodes_body;
  EXPECT_EQ(listed.size(), 4u);

  auto [bad_json, bad_json_body] = curlFromNotebook(
      "-H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -X POST -d '{' "
      "\"$CORAL_API/v1/nodes\"");
  EXPECT_EQ(bad_json, 400) << bad_json_body;
  EXPECT_NE(bad_json_body.find("\"bad_request\""), std::string::npos) << bad_json_body;
  auto [bad_value, bad_value_body] = curlFromNotebook(
      "-H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -X POST "
      "-d '{\"workers\": 0}' \"$CORAL_API/v1/nodes\"");
  EXPECT_EQ(bad_value, 400) << bad_value_body;
  auto [unknown, unknown_body] =
      curlFromNotebook("-H \"Authorization: Bearer $TOKEN\" -X POST \"$CORAL_API/v1/nodes/worker-99/restart\"");
  EXPECT_EQ(unknown, 404) << unknown_body;
  EXPECT_NE(unknown_body.find("\"not_found\""), std::string::npos) << unknown_body;

  auto [metrics, metrics_body] = curlFromNotebook("-H \"Authorization: Bearer $TOKEN\" \"$CORAL_API/metrics\"");
  EXPECT_EQ(metrics, 200) << metrics_body;
  EXPECT_NE(metrics_body.find("coral_nodes{state=\"running\"} 4"), std::string::npos) << metrics_body;

  // The API listens on the cluster network's gateway address, not on every address.
  auto listening = os::runChecked({"ss", "-Hltn", "sport = :7480"});
  ASSERT_TRUE(listening.ok()) << listening.message();
  EXPECT_NE(listening->find(kApiAddress), std::string::npos) << *listening;
  EXPECT_EQ(listening->find("0.0.0.0:7480"), std::string::npos) << *listening;
  EXPECT_EQ(listening->find("*:7480"), std::string::npos) << *listening;
}

TEST_F(ControlRoom, ConcurrentScaleRequestsNeverLaunchMoreThanAsked) {
  const std::vector<int> asked{1, 2, 3, 4, 5, 6, 7, 8};
  const int most_asked = *std::max_element(asked.begin(), asked.end());

  // Watches the cluster's containers (running or not) the whole time.
  std::atomic<bool> watching{true};
  std::atomic<int> most_seen{0};
  std::thread watcher([&] {
    docker::DockerClient docker;
    while (watching) {
      auto listed = docker.listContainers({{"coral.cluster", kCluster}}, true);
      if (listed) most_seen = std::max(most_seen.load(), static_cast<int>(listed->size()));
      std::this_thread::sleep_for(20ms);
    }
  });

  std::vector<int> statuses(asked.size(), 0);
  std::vector<std::string> bodies(asked.size());
  {
    std::latch go(static_cast<std::ptrdiff_t>(asked.size()));
    std::vector<std::thread> posters;
    const std::string token = apiToken();
    for (size_t i = 0; i < asked.size(); ++i) {
      posters.emplace_back([&, i] {
        api::Client client({.unix_path = *state_dir_ + "/api.sock"}, token);
        const std::string body = nlohmann::json{{"workers", asked[i]}}.dump();
        go.arrive_and_wait();
        auto answer = client.request("POST", "/v1/nodes", body);
        statuses[i] = answer ? answer->status : -1;
        bodies[i] = answer ? answer->body : answer.message();
      });
    }
    for (auto& poster : posters) poster.join();
  }
  int accepted = 0;
  for (size_t i = 0; i < asked.size(); ++i) {
    EXPECT_TRUE(statuses[i] == 202 || statuses[i] == 409) << asked[i] << ": " << statuses[i] << " " << bodies[i];
    if (statuses[i] == 202) ++accepted;
  }
  EXPECT_GE(accepted, 1);

  // The last accepted request is what the daemon persisted.
  auto spec = os::readFile(*state_dir_ + "/spec.yaml");
  ASSERT_TRUE(spec.ok()) << spec.message();
  std::smatch match;
  ASSERT_TRUE(std::regex_search(*spec, match, std::regex("(^|\n)workers: ([0-9]+)\n"))) << *spec;
  const int final_workers = std::stoi(match[2]);
  EXPECT_NE(std::find(asked.begin(), asked.end(), final_workers), asked.end()) << final_workers;

  const bool converged = waitFor([&] { return convergedWith(final_workers); }, 240s, 250ms);
  // A little longer: nothing extra may appear after convergence either.
  std::this_thread::sleep_for(1s);
  watching = false;
  watcher.join();
  EXPECT_TRUE(converged) << "not converged to " << final_workers << " workers: " << status().dump();
  EXPECT_LE(most_seen.load(), most_asked + 1) << "containers seen at once";
  EXPECT_EQ(containerCount(), final_workers + 1);
  std::cout << "[ control room ] concurrent scale: final " << final_workers << " workers, at most "
            << most_seen.load() << " containers at once\n";

  // Back to the 3 workers the rest of the suite expects.
  auto back = call("POST", "/v1/nodes", R"({"workers": 3})");
  ASSERT_TRUE(back.ok()) << back.message();
  ASSERT_EQ(back->status, 202) << back->body;
  ASSERT_TRUE(waitFor([] { return convergedWith(3); }, 240s, 250ms)) << status().dump();
  EXPECT_EQ(containerCount(), 4);
}

TEST_F(ControlRoom, EventStreamCarriesARestartInOrder) {
  const auto before = node("worker-3");
  ASSERT_EQ(before["state"], "running") << before.dump();
  const double streams_before = metric("coral_api_event_streams_open");
  ASSERT_GE(streams_before, 0);

  auto log = std::make_shared<EventLog>();
  sse_thread_ = new std::thread([log, socket = *state_dir_ + "/api.sock", token = apiToken()] {
    api::Client client({.unix_path = socket}, token);
    bool saw_stop = false;
    auto streamed = client.streamEvents("/v1/events", [&](const std::string& event, const std::string& data) {
      auto parsed = nlohmann::json::parse(data, nullptr, false);
      std::lock_guard lock(log->mutex);
      log->events.push_back(nlohmann::json{{"event", event}, {"data", parsed}});
      if (parsed.is_object() && parsed.value("node", "") == "worker-3") {
        if (parsed.value("state", "") == "stopping") saw_stop = true;
        if (saw_stop && parsed.value("state", "") == "running") return false;
      }
      return true;
    });
    if (!streamed) {
      std::lock_guard lock(log->mutex);
      log->failure = streamed.message();
    }
    log->finished = true;
  });
  // Subscribed once the daemon counts the stream.
  ASSERT_TRUE(waitFor([&] { return metric("coral_api_event_streams_open") > streams_before || log->finished; },
                      10s, 50ms));
  ASSERT_FALSE(log->finished) << log->failure;

  const double launches_before = metric("coral_launches_total{role=\"worker\"}");
  ASSERT_GE(launches_before, 3) << "workers were launched before this test";
  auto restarted = call("POST", "/v1/nodes/worker-3/restart");
  ASSERT_TRUE(restarted.ok()) << restarted.message();
  ASSERT_EQ(restarted->status, 202) << restarted->body;
  ASSERT_TRUE(waitFor([&] { return log->finished.load(); }, 120s, 100ms)) << "no `running` event for worker-3";
  sse_thread_->join();
  // The restart is one more worker launch, and not a failure.
  EXPECT_EQ(metric("coral_launches_total{role=\"worker\"}"), launches_before + 1);
  EXPECT_EQ(metric("coral_failures_total{role=\"worker\"}"), 0) << problemsInDaemonLog();

  std::lock_guard lock(log->mutex);
  EXPECT_TRUE(log->failure.empty()) << log->failure;
  // Ranks of the states a restarted node goes through, in order.
  const std::map<std::string, int> rank{{"stopping", 0}, {"pending", 1},  {"launching", 2},
                                        {"attaching", 3}, {"starting", 4}, {"running", 5}};
  std::vector<std::string> states;
  uint64_t last_sequence = 0;
  int last_rank = -1;
  std::string shown;
  for (const auto& entry : log->events) {
    EXPECT_EQ(entry["event"], "node");
    const auto& data = entry["data"];
    ASSERT_TRUE(data.is_object()) << entry.dump();
    const uint64_t sequence = data.value("sequence", uint64_t{0});
    EXPECT_GT(sequence, last_sequence) << "sequence numbers must increase: " << entry.dump();
    last_sequence = sequence;
    if (data.value("node", "") != "worker-3") continue;
    const std::string state = data.value("state", "");
    shown += state + " ";
    ASSERT_TRUE(rank.count(state)) << "unexpected state in a restart: " << entry.dump();
    EXPECT_GE(rank.at(state), last_rank) << "out of order: " << shown;
    last_rank = rank.at(state);
    if (states.empty()) {
      EXPECT_EQ(data.value("message", ""), "stopping: restart requested");
    }
    states.push_back(state);
  }
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.front(), "stopping") << shown;
  EXPECT_EQ(states.back(), "running") << shown;
  EXPECT_NE(std::find(states.begin(), states.end(), "starting"), states.end()) << shown;

  const auto after = node("worker-3");
  EXPECT_EQ(after["state"], "running");
  EXPECT_EQ(after["generation"], before["generation"].get<int>() + 1);
  EXPECT_NE(after["instance"], before["instance"]);
}

TEST_F(ControlRoom, MetricsCountNodesByState) {
  ASSERT_TRUE(waitFor([] { return convergedWith(3); }, 60s)) << status().dump();
  auto answer = call("GET", "/metrics");
  ASSERT_TRUE(answer.ok()) << answer.message();
  ASSERT_EQ(answer->status, 200);
  EXPECT_EQ(answer->headers["content-type"].rfind("text/plain", 0), 0u) << answer->headers["content-type"];
  const std::string& text = answer->body;
  EXPECT_NE(text.find("# TYPE coral_nodes gauge"), std::string::npos) << text;
  EXPECT_NE(text.find("coral_nodes{state=\"running\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("coral_api_requests_total{method=\"GET\",route=\"/v1/nodes\",status=\"401\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("coral_api_requests_total{method=\"POST\",route=\"/v1/nodes\",status=\"400\"}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("coral_api_requests_total{method=\"POST\",route=\"/v1/nodes\",status=\"202\"}"),
            std::string::npos)
      << text;
}

TEST_F(ControlRoom, NotebookSshesToEveryNodeByNameAndHostname) {
  auto s = status();
  int checked = 0;
  for (const auto& n : s["nodes"]) {
    const std::string name = n["name"];
    const std::string ip = n["ip"];
    const std::string hostname = name == "notebook" ? "room-0" : "room-" + name.substr(name.rfind('-') + 1);
    // The notebook's /etc/hosts follows the cluster within about a second.
    ASSERT_TRUE(waitFor(
        [&] {
          // ahostsv4: `getent hosts` asks for IPv6 first, which the cluster's
          // /etc/hosts does not have, and waits for DNS to time out.
          auto resolved = shellInNotebook("for n in " + name + " " + hostname +
                                          "; do getent ahostsv4 $n | awk 'NR==1 {print $1}'; done");
          return resolved && resolved->out == ip + "\n" + ip + "\n";
        },
        15s, 250ms))
        << name << " / " << hostname << " do not resolve to " << ip << " in the notebook";
    for (const auto& target : {name, hostname}) {
      // No -o options: the notebook's own ssh config must make this work
      // without a password or host-key prompt (stdin is not a terminal, so
      // a prompt would fail, not hang).
      auto ssh = shellInNotebook("timeout 30 ssh " + target + " hostname </dev/null", 45s);
      ASSERT_TRUE(ssh.ok()) << ssh.message();
      EXPECT_EQ(ssh->exit_code, 0) << "ssh " << target << ": " << ssh->out << ssh->err;
      EXPECT_EQ(trimmed(ssh->out), hostname) << "ssh " << target;
      EXPECT_EQ(ssh->err, "") << "ssh " << target;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

// A person opens a Jupyter terminal and reaches a worker by its hostname:
// no password, no host-key prompt.
TEST_F(ControlRoom, JupyterTerminalSshesToAWorker) {
  auto token = os::readFile(*state_dir_ + "/notebook-token");
  ASSERT_TRUE(token.ok()) << token.message();
  const std::string hostname = std::string(kCluster) + "-1";
  // The marker is split in what is typed, so that the echo does not match.
  auto output = runInTerminal("127.0.0.1", kNotebookPort, trimmed(*token),
                              "ssh " + hostname + " hostname; echo CORAL''-DONE-$?", "CORAL-DONE-",
                              60s);
  ASSERT_TRUE(output.ok()) << output.message();
  const std::size_t done = output->find("CORAL-DONE-");
  EXPECT_EQ(output->substr(done, 12), "CORAL-DONE-0") << *output;
  // The worker's answer ends a line (the echoed command has "room-1 hostname").
  EXPECT_NE(output->find(hostname + "\r\n"), std::string::npos) << *output;
  EXPECT_EQ(output->find("password"), std::string::npos) << *output;
  EXPECT_EQ(output->find("yes/no"), std::string::npos) << *output;
}

TEST_F(ControlRoom, DownLeavesNothingBehind) {
  auto down = coral({"down", "--state-dir", *state_dir_});
  ASSERT_EQ(down.exit_code, 0) << down.out << down.err;
  EXPECT_FALSE(std::filesystem::exists(*state_dir_));
  auto after = footprint(kCluster, kSubnetPrefix);
  EXPECT_TRUE(after.containers.empty());
  // The subnet is this cluster's alone: no route or rule may mention it.
  EXPECT_TRUE(after.subnet_routes.empty()) << ::testing::PrintToString(after.subnet_routes);
  EXPECT_TRUE(after.iptables_rules_for_subnet.empty())
      << ::testing::PrintToString(after.iptables_rules_for_subnet);
  // Links and chains of other clusters on this machine may come and go
  // meanwhile; what is ours carries the subnet or the notebook port.
  auto addresses = os::runChecked({"ip", "-o", "addr", "show"});
  ASSERT_TRUE(addresses.ok());
  EXPECT_EQ(addresses->find(std::string(" ") + kSubnetPrefix), std::string::npos) << *addresses;
  auto rules = os::runChecked({"iptables-save"});
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(rules->find(std::to_string(kNotebookPort)), std::string::npos) << "a rule for port 18880 is left";
  auto listening = os::runChecked({"ss", "-Hltn", "sport = :7480"});
  ASSERT_TRUE(listening.ok());
  EXPECT_EQ(listening->find(kApiAddress), std::string::npos) << *listening;
  auto notebook = httpRequest("127.0.0.1", kNotebookPort, "GET", "/api", "");
  EXPECT_FALSE(notebook.ok() && notebook->status == 200) << "something still answers on 18880";
}

}  // namespace
}  // namespace coral::testing
