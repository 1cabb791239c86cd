// DockerClient against the real dockerd at /var/run/docker.sock. The test
// image is imported from a tarball of busybox (no registry needed). Every
// container carries a per-process label and is force-removed in TearDown,
// the image in TearDownTestSuite, also when a test fails. A missing daemon
// fails every test; nothing is skipped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "docker/docker_client.h"
#include "os/subprocess.h"

namespace coral::docker {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

constexpr const char* kRunLabel = "coral.test.run";

std::string uniqueSuffix() {
  static const std::string suffix = [] {
    std::random_device random;
    return std::to_string(::getpid()) + "-" + std::to_string(random() % 100000);
  }();
  return suffix;
}

// Polls `condition` until it holds or `timeout` passes: for state Docker
// changes asynchronously and offers no way to wait on (log delivery).
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// Builds a root filesystem of a static busybox plus applet symlinks and
// returns the tarball's path.
Result<std::string> buildBusyboxTarball(const fs::path& dir) {
  const fs::path busybox = "/bin/busybox";
  if (!fs::exists(busybox)) {
    return makeError(
        "the Docker integration tests need a static /bin/busybox to build their "
        "image; install it with `apt-get install -y busybox-static`");
  }
  fs::create_directories(dir / "rootfs/bin");
  fs::create_directories(dir / "rootfs/tmp");
  fs::copy_file(busybox, dir / "rootfs/bin/busybox");
  for (const char* applet : {"sh", "sleep", "echo", "cat", "hostname", "true", "env", "ls"}) {
    fs::create_symlink("busybox", dir / "rootfs/bin" / applet);
  }
  const std::string tarball = (dir / "rootfs.tar").string();
  auto tar = os::runChecked({"tar", "-C", (dir / "rootfs").string(), "-cf", tarball, "."});
  if (!tar.ok()) return tar.error();
  return tarball;
}

// Ends a client's event streams when a test leaves scope early (a failed
// ASSERT), so the future waiting on the stream thread does not block forever.
struct StopStreamsOnExit {
  DockerClient& client;
  ~StopStreamsOnExit() { client.stop(); }
};

class DockerIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    image_repo_ = "coral-test/busybox";
    image_tag_ = uniqueSuffix();
    work_dir_ = fs::temp_directory_path() / ("coral-docker-it-" + uniqueSuffix());
    DockerClient client;
    if (auto ping = client.ping(); !ping.ok()) {
      setup_error_ = "the Docker integration tests need a running Docker daemon: " + ping.message();
      return;
    }
    auto tarball = buildBusyboxTarball(work_dir_);
    if (!tarball.ok()) {
      setup_error_ = tarball.message();
      return;
    }
    tarball_ = *tarball;
    if (auto imported = client.importImage(tarball_, image_repo_, image_tag_); !imported.ok()) {
      setup_error_ = imported.message();
    }
    image_imported_ = setup_error_.empty();
  }

  static void TearDownTestSuite() {
    if (image_imported_) {
      auto removed = DockerClient().removeImage(image(), /*force=*/true);
      EXPECT_TRUE(removed.ok()) << removed.message();
    }
    std::error_code ignored;
    fs::remove_all(work_dir_, ignored);
  }

  void SetUp() override {
    auto ping = client_.ping();
    ASSERT_TRUE(ping.ok()) << "the Docker integration tests need a running Docker daemon: "
                           << ping.message();
    daemon_reachable_ = true;
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  }

  // Removes every container this process labelled, whatever the test did.
  void TearDown() override {
    if (!daemon_reachable_) return;  // SetUp already reported why
    auto leftovers = client_.listContainers({{kRunLabel, uniqueSuffix()}}, true);
    ASSERT_TRUE(leftovers.ok()) << leftovers.message();
    for (const auto& container : *leftovers) {
      auto removed = client_.removeContainer(container.id, /*force=*/true);
      EXPECT_TRUE(removed.ok()) << removed.message();
    }
  }

  static std::string image() { return image_repo_ + ":" + image_tag_; }

  ContainerSpec spec(const std::string& role) {
    ContainerSpec spec;
    spec.name = "coral-test-" + uniqueSuffix() + "-" + role;
    spec.image = image();
    spec.labels = {{kRunLabel, uniqueSuffix()}, {"coral.test.role", role}};
    spec.cmd = {"sleep", "600"};
    return spec;
  }

  // Creates and starts; the container is removed in TearDown.
  std::string runContainer(const ContainerSpec& container) {
    auto id = client_.createContainer(container);
    EXPECT_TRUE(id.ok()) << id.message();
    if (!id.ok()) return {};
    auto started = client_.startContainer(*id);
    EXPECT_TRUE(started.ok()) << started.message();
    return *id;
  }

  static inline std::string image_repo_, image_tag_, tarball_, setup_error_;
  static inline fs::path work_dir_;
  static inline bool image_imported_ = false;
  DockerClient client_;
  bool daemon_reachable_ = false;
};

TEST_F(DockerIntegration, ContainerLifecycle) {
  const fs::path shared = work_dir_ / "shared";
  fs::create_directories(shared);
  std::ofstream(shared / "greeting") << "from the host\n";

  ContainerSpec worker = spec("lifecycle");
  worker.hostname = "worker-1";
  worker.entrypoint = {"/bin/sh", "-c"};
  worker.cmd = {"echo one; echo two; echo three; exec sleep 600"};
  worker.env = {{"CORAL_ROLE", "worker"}};
  worker.binds = {{shared.string(), "/shared", true}};
  worker.cap_add = {"NET_ADMIN"};
  worker.cpus = 0.5;
  worker.memory_bytes = 64 << 20;

  auto id = client_.createContainer(worker);
  ASSERT_TRUE(id.ok()) << id.message();
  auto created = client_.inspectContainer(worker.name);
  ASSERT_TRUE(created.ok()) << created.message();
  EXPECT_EQ(created->id, *id);
  EXPECT_EQ(created->state.status, "created");
  EXPECT_EQ(created->image, image());
  EXPECT_EQ(created->labels.at("coral.test.role"), "lifecycle");

  ASSERT_TRUE(client_.startContainer(*id).ok());
  EXPECT_TRUE(client_.startContainer(*id).ok()) << "starting twice is not an error";
  auto running = client_.inspectContainer(*id);
  ASSERT_TRUE(running.ok()) << running.message();
  EXPECT_TRUE(running->state.running);
  EXPECT_EQ(running->state.status, "running");
  EXPECT_GT(running->state.pid, 0);
  EXPECT_EQ(running->name, worker.name);

  auto hi = client_.exec(*id, {"echo", "hi"}, 30s);
  ASSERT_TRUE(hi.ok()) << hi.message();
  EXPECT_EQ(hi->out, "hi\n");
  EXPECT_EQ(hi->err, "");
  EXPECT_EQ(hi->exit_code, 0);

  auto split = client_.exec(*id, {"sh", "-c", "echo out; echo err >&2; exit 3"}, 30s);
  ASSERT_TRUE(split.ok()) << split.message();
  EXPECT_EQ(split->out, "out\n");
  EXPECT_EQ(split->err, "err\n");
  EXPECT_EQ(split->exit_code, 3);

  auto setup = client_.exec(
      *id, {"sh", "-c", "hostname; echo $CORAL_ROLE; cat /shared/greeting; echo x > /shared/w"},
      30s);
  ASSERT_TRUE(setup.ok()) << setup.message();
  EXPECT_THAT(setup->out, HasSubstr("worker-1\nworker\nfrom the host\n"));
  EXPECT_NE(setup->exit_code, 0) << "the bind mount should be read-only";

  std::string all_logs;
  EXPECT_TRUE(eventually([&] {
    auto logs = client_.logs(*id, -1);
    if (logs.ok()) all_logs = *logs;
    return logs.ok() && all_logs.find("three") != std::string::npos;
  })) << "logs never showed the container's output; last read: '"
      << all_logs << "'";
  EXPECT_EQ(all_logs, "one\ntwo\nthree\n");
  auto last = client_.logs(*id, 1);
  ASSERT_TRUE(last.ok()) << last.message();
  EXPECT_EQ(*last, "three\n");

  auto listed =
      client_.listContainers({{kRunLabel, uniqueSuffix()}, {"coral.test.role", ""}}, false);
  ASSERT_TRUE(listed.ok()) << listed.message();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, *id);
  EXPECT_EQ((*listed)[0].name, worker.name);
  EXPECT_TRUE((*listed)[0].state.running);

  ASSERT_TRUE(client_.stopContainer(*id, 5).ok());
  EXPECT_TRUE(client_.stopContainer(*id, 5).ok()) << "stopping twice is not an error";
  auto stopped = client_.inspectContainer(*id);
  ASSERT_TRUE(stopped.ok()) << stopped.message();
  EXPECT_FALSE(stopped->state.running);
  EXPECT_EQ(stopped->state.status, "exited");
  EXPECT_FALSE(stopped->state.finished_at.empty());

  auto running_only = client_.listContainers({{kRunLabel, uniqueSuffix()}}, false);
  ASSERT_TRUE(running_only.ok()) << running_only.message();
  EXPECT_TRUE(running_only->empty());
  auto with_stopped = client_.listContainers({{kRunLabel, uniqueSuffix()}}, true);
  ASSERT_TRUE(with_stopped.ok()) << with_stopped.message();
  ASSERT_EQ(with_stopped->size(), 1u);
  EXPECT_EQ((*with_stopped)[0].state.status, "exited");

  auto exec_stopped = client_.exec(*id, {"true"}, 30s);
  ASSERT_FALSE(exec_stopped.ok());
  EXPECT_THAT(exec_stopped.message(), HasSubstr("409"));
  EXPECT_THAT(exec_stopped.message(), HasSubstr("start it first"));

  ASSERT_TRUE(client_.removeContainer(*id, false).ok());
  auto gone = client_.inspectContainer(*id);
  ASSERT_FALSE(gone.ok());
  EXPECT_THAT(gone.message(), HasSubstr("no such container"));
  auto found = client_.findContainer(*id);
  ASSERT_TRUE(found.ok()) << found.message();
  EXPECT_FALSE(found->has_value());
}

TEST_F(DockerIntegration, LogsCarryStdoutAndStderr) {
  ContainerSpec talker = spec("logs");
  talker.cmd = {"sh", "-c", "echo to-stdout; echo to-stderr >&2; exec sleep 600"};
  const std::string id = runContainer(talker);
  ASSERT_FALSE(id.empty());
  std::string logs;
  EXPECT_TRUE(eventually([&] {
    auto read = client_.logs(id, -1);
    if (read.ok()) logs = *read;
    return read.ok() && logs.find("to-stdout\n") != std::string::npos &&
           logs.find("to-stderr\n") != std::string::npos;
  })) << "last read: '"
      << logs << "'";
  // Docker copies the two streams separately, so their relative order is
  // whatever it logged; only the content is fixed.
  EXPECT_EQ(logs.size(), std::string("to-stdout\nto-stderr\n").size());
}

TEST_F(DockerIntegration, KillAndWaitReportTheSignalExit) {
  const std::string id = runContainer(spec("kill"));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(client_.killContainer(id).ok());
  auto code = client_.waitContainer(id, 30s);
  ASSERT_TRUE(code.ok()) << code.message();
  EXPECT_EQ(*code, 137);
  auto info = client_.inspectContainer(id);
  ASSERT_TRUE(info.ok()) << info.message();
  EXPECT_FALSE(info->state.running);
  EXPECT_EQ(info->state.exit_code, 137);
  auto again = client_.killContainer(id);
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.message(), HasSubstr("is not running"));
}

TEST_F(DockerIntegration, ExecPastItsTimeoutFails) {
  const std::string id = runContainer(spec("exec-timeout"));
  ASSERT_FALSE(id.empty());
  const auto begin = std::chrono::steady_clock::now();
  auto result = client_.exec(id, {"sleep", "30"}, 500ms);
  ASSERT_FALSE(result.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 10s);
  EXPECT_THAT(result.message(), HasSubstr("did not finish within 500 ms"));
}

TEST_F(DockerIntegration, CreateFromMissingImageNamesTheImage) {
  ContainerSpec missing = spec("missing-image");
  missing.image = "coral-test/no-such-image:" + uniqueSuffix();
  auto id = client_.createContainer(missing);
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(id.message(), HasSubstr("creating container " + missing.name +
                                      ": 404 No such image: " + missing.image +
                                      " — build the images with `make images`"));
}

TEST_F(DockerIntegration, CreateWithTakenNameIsAConflict) {
  ContainerSpec first = spec("duplicate");
  auto id = client_.createContainer(first);
  ASSERT_TRUE(id.ok()) << id.message();
  auto second = client_.createContainer(first);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.message(), HasSubstr("creating container " + first.name + ": 409 "));
  EXPECT_THAT(second.message(), HasSubstr("already in use"));
  EXPECT_THAT(second.message(), HasSubstr("docker rm -f " + first.name));
}

TEST_F(DockerIntegration, RemovingAMissingContainerIsOk) {
  auto removed = client_.removeContainer("coral-test-never-created-" + uniqueSuffix(), true);
  EXPECT_TRUE(removed.ok()) << removed.message();
}

TEST_F(DockerIntegration, ImportedImageIsInspectableAndMissingOnesAreAbsent) {
  auto present = client_.inspectImage(image());
  ASSERT_TRUE(present.ok()) << present.message();
  ASSERT_TRUE(present->has_value());
  EXPECT_THAT((*present)->tags, ::testing::Contains(image()));
  EXPECT_GT((*present)->size, 0);
  auto absent = client_.inspectImage("coral-test/no-such-image:" + uniqueSuffix());
  ASSERT_TRUE(absent.ok()) << absent.message();
  EXPECT_FALSE(absent->has_value());
}

TEST_F(DockerIntegration, ImportOfAFileThatIsNotATarballFails) {
  const fs::path garbage = work_dir_ / "garbage.tar";
  std::ofstream(garbage) << "this is not a tarball\n";
  const std::string tag = uniqueSuffix() + "-garbage";
  auto imported = client_.importImage(garbage.string(), image_repo_, tag);
  auto cleanup = client_.removeImage(image_repo_ + ":" + tag, true);  // in case Docker accepted it
  ASSERT_FALSE(imported.ok());
  EXPECT_THAT(imported.message(), HasSubstr("importing image " + image_repo_ + ":" + tag));
  EXPECT_THAT(imported.message(), HasSubstr("tar"));
  EXPECT_TRUE(cleanup.ok()) << cleanup.message();
}

TEST_F(DockerIntegration, StreamEventsSeesTheStartOfAContainer) {
  auto id = client_.createContainer(spec("events"));
  ASSERT_TRUE(id.ok()) << id.message();
  EventsQuery query;
  query.filters = {{"container", {*id}}, {"event", {"start"}}};
  // Replaying from a second ago makes the subscription race-free: the start
  // is seen whether it happens before or after the stream connects.
  query.since = std::to_string(std::time(nullptr) - 1);
  DockerClient watcher;
  json seen;
  auto stream = std::async(std::launch::async, [&] {
    return watcher.streamEventsMatching(query, [&](const json& event) {
      seen = event;
      return false;
    });
  });
  StopStreamsOnExit guard{watcher};
  ASSERT_TRUE(client_.startContainer(*id).ok());
  if (stream.wait_for(30s) != std::future_status::ready) {
    watcher.stop();
    FAIL() << "no start event within 30 s";
  }
  auto status = stream.get();
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(seen.value("status", ""), "start");
  EXPECT_EQ(seen.value("id", ""), *id);
}

TEST_F(DockerIntegration, StopEndsALiveEventStream) {
  DockerClient watcher;
  std::promise<void> first_event;
  bool first = true;
  auto stream = std::async(std::launch::async, [&] {
    return watcher.streamEvents({{"label", {std::string(kRunLabel) + "=" + uniqueSuffix()}}},
                                [&](const json&) {
                                  if (first) first_event.set_value();
                                  first = false;
                                  return true;
                                });
  });
  StopStreamsOnExit guard{watcher};
  // Keep producing labelled events until the stream reports one: proof it is live.
  auto got_event = first_event.get_future();
  int created = 0;
  while (got_event.wait_for(200ms) != std::future_status::ready && created < 50) {
    auto id = client_.createContainer(spec("stop-events-" + std::to_string(created++)));
    ASSERT_TRUE(id.ok()) << id.message();
  }
  ASSERT_EQ(got_event.wait_for(0s), std::future_status::ready) << "the event stream saw nothing";
  watcher.stop();
  ASSERT_EQ(stream.wait_for(5s), std::future_status::ready) << "stop() did not end the stream";
  auto status = stream.get();
  EXPECT_TRUE(status.ok()) << status.message();
}

}  // namespace
}  // namespace coral::docker
