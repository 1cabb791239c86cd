// DockerClient against a fake daemon: the requests it sends for each call
// and how it maps Docker's replies (and failures) into results.
#include "docker/docker_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>

#include "fake_docker_server.h"

namespace coral::docker {
namespace {

using namespace std::chrono_literals;
using fake::FakeDockerServer;
using fake::FakeReply;
using fake::frame;
using fake::jsonReply;
using fake::RecordedRequest;
using nlohmann::json;

using ::testing::HasSubstr;

TEST(DockerClient, CreateSendsContainerConfigAndHostConfig) {
  FakeDockerServer server([](const RecordedRequest&) {
    return jsonReply(201, {{"Id", "4f1c"}, {"Warnings", json::array()}});
  });
  ContainerSpec spec;
  spec.name = "coral-demo-worker-1";
  spec.image = "coral/worker:latest";
  spec.hostname = "worker-1";
  spec.entrypoint = {"/bin/sh", "-c"};
  spec.cmd = {"exec sleep 1000"};
  spec.env = {{"CORAL_ROLE", "worker"}, {"EMPTY", ""}};
  spec.labels = {{"coral.cluster", "demo"}};
  spec.binds = {{"/srv/config", "/etc/coral", true}, {"/srv/data", "/data", false}};
  spec.cap_add = {"NET_ADMIN"};
  spec.cpus = 1.5;
  spec.memory_bytes = 256 << 20;
  spec.mac_address = "02:42:ac:11:00:02";

  auto id = DockerClient(server.socketPath()).createContainer(spec);
  ASSERT_TRUE(id.ok()) << id.message();
  EXPECT_EQ(*id, "4f1c");

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/v1.41/containers/create");
  EXPECT_EQ(requests[0].query.at("name"), "coral-demo-worker-1");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/json");
  json body = json::parse(requests[0].body);
  EXPECT_EQ(body["Image"], "coral/worker:latest");
  EXPECT_EQ(body["Hostname"], "worker-1");
  EXPECT_EQ(body["Entrypoint"], json({"/bin/sh", "-c"}));
  EXPECT_EQ(body["Cmd"], json({"exec sleep 1000"}));
  EXPECT_EQ(body["Env"], json({"CORAL_ROLE=worker", "EMPTY="}));
  EXPECT_EQ(body["Labels"], json({{"coral.cluster", "demo"}}));
  EXPECT_EQ(body["MacAddress"], "02:42:ac:11:00:02");
  EXPECT_EQ(body["Tty"], false);
  const json& host = body["HostConfig"];
  EXPECT_EQ(host["NetworkMode"], "none");
  EXPECT_EQ(host["Binds"], json({"/srv/config:/etc/coral:ro", "/srv/data:/data:rw"}));
  EXPECT_EQ(host["CapAdd"], json({"NET_ADMIN"}));
  EXPECT_EQ(host["NanoCpus"], 1500000000);
  EXPECT_EQ(host["Memory"], 256 << 20);
  EXPECT_EQ(host["Init"], true);
}

TEST(DockerClient, CreateWithMissingImageSaysToBuildIt) {
  FakeDockerServer server([](const RecordedRequest&) {
    return jsonReply(404, {{"message", "No such image: coral/worker:latest"}});
  });
  ContainerSpec spec;
  spec.name = "coral-demo-worker-1";
  spec.image = "coral/worker:latest";
  auto id = DockerClient(server.socketPath()).createContainer(spec);
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(id.message(), HasSubstr("creating container coral-demo-worker-1: 404 No such image: "
                                      "coral/worker:latest — build the images with `make images`"));
}

TEST(DockerClient, CreateWithTakenNameSaysToRemoveTheOldContainer) {
  FakeDockerServer server([](const RecordedRequest&) {
    return jsonReply(409, {{"message",
                            "Conflict. The container name \"/coral-demo-worker-1\" is "
                            "already in use by container \"abc\"."}});
  });
  ContainerSpec spec;
  spec.name = "coral-demo-worker-1";
  spec.image = "coral/worker:latest";
  auto id = DockerClient(server.socketPath()).createContainer(spec);
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(id.message(), HasSubstr("creating container coral-demo-worker-1: 409 Conflict."));
  EXPECT_THAT(id.message(), HasSubstr("already in use"));
  EXPECT_THAT(id.message(), HasSubstr("docker rm -f coral-demo-worker-1"));
}

TEST(DockerClient, CreateWithoutImageFailsBeforeAskingDocker) {
  FakeDockerServer server([](const RecordedRequest&) { return jsonReply(201, {{"Id", "x"}}); });
  ContainerSpec spec;
  spec.name = "nameless-image";
  auto id = DockerClient(server.socketPath()).createContainer(spec);
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(id.message(), HasSubstr("ContainerSpec::image"));
  EXPECT_TRUE(server.requests().empty());
}

TEST(DockerClient, ServerErrorQuotesDockerAndPointsAtItsLog) {
  FakeDockerServer server([](const RecordedRequest&) {
    return jsonReply(500, {{"message", "OCI runtime create failed: mount source missing"}});
  });
  auto status = DockerClient(server.socketPath()).startContainer("coral-demo-worker-1");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("starting container coral-demo-worker-1: 500 OCI runtime "
                                          "create failed: mount source missing — "));
  EXPECT_THAT(status.message(), HasSubstr("bind-mount"));
}

TEST(DockerClient, ErrorWithoutJsonBodyStillNamesTheStatus) {
  FakeDockerServer server([](const RecordedRequest&) {
    return FakeReply{{"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"}};
  });
  auto list = DockerClient(server.socketPath()).listContainers({}, true);
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.message(),
              HasSubstr("listing containers: 500 (the daemon sent no explanation)"));
  EXPECT_THAT(list.message(), HasSubstr("Docker daemon's log"));
}

TEST(DockerClient, StartAndStopTreatNotModifiedAsSuccess) {
  FakeDockerServer server([](const RecordedRequest&) { return fake::emptyReply(304); });
  DockerClient client(server.socketPath());
  EXPECT_TRUE(client.startContainer("c1").ok());
  EXPECT_TRUE(client.stopContainer("c1", 7).ok());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/v1.41/containers/c1/start");
  EXPECT_EQ(requests[1].path, "/v1.41/containers/c1/stop");
  EXPECT_EQ(requests[1].query.at("t"), "7");
}

TEST(DockerClient, KillSendsTheSignalAndReportsNotRunning) {
  FakeDockerServer server([](const RecordedRequest&) {
    return jsonReply(409, {{"message", "Cannot kill container: c1: Container c1 is not running"}});
  });
  auto status = DockerClient(server.socketPath()).killContainer("c1", "SIGTERM");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("sending SIGTERM to container c1: 409 Cannot kill"));
  EXPECT_THAT(status.message(), HasSubstr("not running"));
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/v1.41/containers/c1/kill");
  EXPECT_EQ(requests[0].query.at("signal"), "SIGTERM");
}

TEST(DockerClient, RemoveIsIdempotentAndRemovesVolumes) {
  FakeDockerServer server([](const RecordedRequest&) {
    return jsonReply(404, {{"message", "No such container: gone"}});
  });
  auto status = DockerClient(server.socketPath()).removeContainer("gone", true);
  EXPECT_TRUE(status.ok()) << status.message();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "DELETE");
  EXPECT_EQ(requests[0].path, "/v1.41/containers/gone");
  EXPECT_EQ(requests[0].query.at("v"), "1");
  EXPECT_EQ(requests[0].query.at("force"), "1");
}

TEST(DockerClient, InspectOfMissingContainerSaysNoSuchContainer) {
  FakeDockerServer server([](const RecordedRequest&) {
    return jsonReply(404, {{"message", "No such container: ghost"}});
  });
  DockerClient client(server.socketPath());
  auto info = client.inspectContainer("ghost");
  ASSERT_FALSE(info.ok());
  EXPECT_THAT(info.message(), HasSubstr("inspecting container ghost: no such container"));
  auto found = client.findContainer("ghost");
  ASSERT_TRUE(found.ok()) << found.message();
  EXPECT_FALSE(found->has_value());
}

TEST(DockerClient, InspectReportsState) {
  FakeDockerServer server([](const RecordedRequest& request) {
    EXPECT_EQ(request.path, "/v1.41/containers/coral-demo-worker-1/json");
    return jsonReply(200, json::parse(R"({
      "Id": "4f1c", "Name": "/coral-demo-worker-1",
      "Config": {"Image": "coral/worker:latest", "Labels": {"coral.cluster": "demo"}},
      "State": {"Status": "running", "Running": true, "Pid": 4242, "ExitCode": 0,
                "StartedAt": "2024-01-01T00:00:00Z"}})"));
  });
  auto info = DockerClient(server.socketPath()).inspectContainer("coral-demo-worker-1");
  ASSERT_TRUE(info.ok()) << info.message();
  EXPECT_EQ(info->id, "4f1c");
  EXPECT_EQ(info->name, "coral-demo-worker-1");
  EXPECT_TRUE(info->state.running);
  EXPECT_EQ(info->state.pid, 4242);
  EXPECT_EQ(info->labels.at("coral.cluster"), "demo");
}

TEST(DockerClient, ListSendsLabelFiltersAndAll) {
  FakeDockerServer server([](const RecordedRequest&) {
    return jsonReply(200, json::parse(R"([{"Id": "a", "Names": ["/one"], "Image": "img",
                                            "Labels": {"coral.cluster": "demo"},
                                            "State": "running"}])"));
  });
  auto list = DockerClient(server.socketPath()).listContainers({{"coral.cluster", "demo"}}, false);
  ASSERT_TRUE(list.ok()) << list.message();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "one");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/v1.41/containers/json");
  EXPECT_EQ(requests[0].query.at("all"), "0");
  EXPECT_EQ(json::parse(requests[0].query.at("filters")),
            json::parse(R"({"label": ["coral.cluster=demo"]})"));
}

TEST(DockerClient, WaitReturnsTheExitCode) {
  FakeDockerServer server([](const RecordedRequest&) {
    return jsonReply(200, {{"StatusCode", 137}, {"Error", nullptr}});
  });
  auto code = DockerClient(server.socketPath()).waitContainer("c1", 10s);
  ASSERT_TRUE(code.ok()) << code.message();
  EXPECT_EQ(*code, 137);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/v1.41/containers/c1/wait");
  EXPECT_EQ(requests[0].query.at("condition"), "not-running");
}

// Routes the three requests of an exec; `start_reply` is the output stream.
FakeDockerServer::Handler execHandler(FakeReply start_reply, std::vector<json> inspections) {
  auto inspected = std::make_shared<std::atomic<size_t>>(0);
  return [=](const RecordedRequest& request) -> FakeReply {
    if (request.path == "/v1.41/containers/c1/exec") return jsonReply(201, {{"Id", "e1"}});
    if (request.path == "/v1.41/exec/e1/start") return start_reply;
    if (request.path == "/v1.41/exec/e1/json") {
      size_t n = (*inspected)++;
      return jsonReply(200, inspections[std::min(n, inspections.size() - 1)]);
    }
    return jsonReply(404, {{"message", "unexpected " + request.path}});
  };
}

TEST(DockerClient, ExecSeparatesStdoutFromStderrAndReportsTheExitCode) {
  const std::string stream = frame(1, "out line\n") + frame(2, "err line\n") + frame(1, "end\n");
  // Pieces cut through a header and a payload.
  FakeReply start = fake::untilCloseReply(
      200, "application/vnd.docker.raw-stream",
      {stream.substr(0, 3), stream.substr(3, 10), stream.substr(13, 14), stream.substr(27)});
  FakeDockerServer server(execHandler(start, {{{"Running", false}, {"ExitCode", 3}}}));
  auto result = DockerClient(server.socketPath()).exec("c1", {"sh", "-c", "exit 3"}, 10s);
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(result->out, "out line\nend\n");
  EXPECT_EQ(result->err, "err line\n");
  EXPECT_EQ(result->exit_code, 3);

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  json create = json::parse(requests[0].body);
  EXPECT_EQ(create["Cmd"], json({"sh", "-c", "exit 3"}));
  EXPECT_EQ(create["AttachStdout"], true);
  EXPECT_EQ(create["AttachStderr"], true);
  EXPECT_EQ(create["Tty"], false);
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(json::parse(requests[1].body)["Detach"], false);
  EXPECT_EQ(requests[2].method, "GET");
}

TEST(DockerClient, ExecWaitsUntilDockerHasRecordedTheExitCode) {
  FakeReply start = fake::untilCloseReply(200, "application/vnd.docker.raw-stream", {});
  FakeDockerServer server(execHandler(
      start, {{{"Running", true}, {"ExitCode", nullptr}}, {{"Running", false}, {"ExitCode", 0}}}));
  auto result = DockerClient(server.socketPath()).exec("c1", {"true"}, 10s);
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(DockerClient, ExecPastItsTimeoutFailsPromptly) {
  FakeReply start = fake::untilCloseReply(200, "application/vnd.docker.raw-stream", {});
  start.hold_open = true;  // the command never finishes
  FakeDockerServer server(execHandler(start, {{{"Running", true}}}));
  const auto begin = std::chrono::steady_clock::now();
  auto result = DockerClient(server.socketPath()).exec("c1", {"sleep", "1000"}, 300ms);
  ASSERT_FALSE(result.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 5s);
  EXPECT_THAT(result.message(),
              HasSubstr("running `sleep 1000` in container c1: did not finish within 300 ms"));
}

TEST(DockerClient, ExecInStoppedContainerSaysToStartIt) {
  FakeDockerServer server([](const RecordedRequest&) {
    return jsonReply(409, {{"message", "Container c1 is not running"}});
  });
  auto result = DockerClient(server.socketPath()).exec("c1", {"true"}, 10s);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.message(),
              HasSubstr("running `true` in container c1: 409 Container c1 is not running"));
  EXPECT_THAT(result.message(), HasSubstr("start it first"));
}

TEST(DockerClient, LogsInterleaveStreamsFromAChunkedReply) {
  const std::string stream = frame(2, "oops\n") + frame(1, "started\n") + frame(1, "ready\n");
  FakeDockerServer server([stream](const RecordedRequest& request) -> FakeReply {
    if (request.path == "/v1.41/containers/c1/json") {
      return jsonReply(200, {{"Id", "c1"}, {"Config", {{"Tty", false}}}});
    }
    // Chunk boundaries fall inside frame headers and payloads.
    return fake::chunkedReply(200, "application/vnd.docker.raw-stream",
                              {stream.substr(0, 5), stream.substr(5, 9), stream.substr(14)});
  });
  auto logs = DockerClient(server.socketPath()).logs("c1", 50);
  ASSERT_TRUE(logs.ok()) << logs.message();
  EXPECT_EQ(*logs, "oops\nstarted\nready\n");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].path, "/v1.41/containers/c1/logs");
  EXPECT_EQ(requests[1].query.at("tail"), "50");
  EXPECT_EQ(requests[1].query.at("stdout"), "1");
  EXPECT_EQ(requests[1].query.at("stderr"), "1");
}

TEST(DockerClient, InspectImageKeepsTheSlashAndReportsAbsence) {
  FakeDockerServer server([](const RecordedRequest& request) {
    if (request.path == "/v1.41/images/coral/worker:latest/json") {
      return jsonReply(200, {{"Id", "sha256:1"}, {"RepoTags", {"coral/worker:latest"}}});
    }
    return jsonReply(404, {{"message", "No such image"}});
  });
  DockerClient client(server.socketPath());
  auto present = client.inspectImage("coral/worker:latest");
  ASSERT_TRUE(present.ok()) << present.message();
  ASSERT_TRUE(present->has_value());
  EXPECT_EQ((*present)->id, "sha256:1");
  auto absent = client.inspectImage("coral/nothing:1");
  ASSERT_TRUE(absent.ok()) << absent.message();
  EXPECT_FALSE(absent->has_value());
}

class DockerImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tar_path_ = std::filesystem::temp_directory_path() /
                ("coral-import-" + std::to_string(::getpid()) + ".tar");
    std::ofstream(tar_path_, std::ios::binary) << "pretend this is a tarball";
  }
  void TearDown() override { std::filesystem::remove(tar_path_); }
  std::string tar_path_;
};

TEST_F(DockerImportTest, StreamsTheTarballAndAcceptsAProgressStream) {
  FakeDockerServer server([](const RecordedRequest&) {
    return fake::chunkedReply(200, "application/json", {"{\"status\":\"sha2", "56:abc\"}\r\n"});
  });
  auto status = DockerClient(server.socketPath()).importImage(tar_path_, "coral-test/busybox", "7");
  ASSERT_TRUE(status.ok()) << status.message();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/v1.41/images/create");
  EXPECT_EQ(requests[0].query.at("fromSrc"), "-");
  EXPECT_EQ(requests[0].query.at("repo"), "coral-test/busybox");
  EXPECT_EQ(requests[0].query.at("tag"), "7");
  EXPECT_EQ(requests[0].body, "pretend this is a tarball");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/x-tar");
}

TEST_F(DockerImportTest, ErrorInsideTheProgressStreamFailsTheImport) {
  FakeDockerServer server([](const RecordedRequest&) {
    return fake::chunkedReply(200, "application/json",
                              {"{\"status\":\"Downloading\"}\r\n",
                               "{\"errorDetail\":{\"message\":\"archive/tar: invalid tar header\"},"
                               "\"error\":\"archive/tar: invalid tar header\"}\r\n"});
  });
  auto status = DockerClient(server.socketPath()).importImage(tar_path_, "coral-test/busybox", "7");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("importing image coral-test/busybox:7 from " + tar_path_ +
                                          ": archive/tar: invalid tar header — "));
  EXPECT_THAT(status.message(), HasSubstr("tar -tf"));
}

TEST_F(DockerImportTest, RejectedTarballReportsDockersMessage) {
  FakeDockerServer server([](const RecordedRequest&) {
    return jsonReply(500,
                     {{"message", "Error processing tar file(exit status 1): unexpected EOF"}});
  });
  auto status = DockerClient(server.socketPath()).importImage(tar_path_, "coral-test/busybox", "7");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr(": 500 Error processing tar file(exit status 1): "
                                          "unexpected EOF — "));
}

TEST(DockerClient, ImportOfMissingFileNamesTheFile) {
  FakeDockerServer server([](const RecordedRequest&) { return fake::emptyReply(200); });
  auto status =
      DockerClient(server.socketPath()).importImage("/nonexistent/rootfs.tar", "coral-test/x", "1");
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("/nonexistent/rootfs.tar"));
  EXPECT_THAT(status.message(), HasSubstr("does not exist"));
  EXPECT_TRUE(server.requests().empty());
}

FakeReply openEventStream(const std::vector<std::string>& chunks) {
  FakeReply reply = fake::chunkedReply(200, "application/json", chunks);
  reply.pieces.pop_back();  // no terminating chunk: events keep coming
  reply.hold_open = true;
  return reply;
}

TEST(DockerClient, StreamEventsSendsFiltersAndStopsWhenTheCallbackSaysSo) {
  FakeDockerServer server([](const RecordedRequest&) {
    return openEventStream(
        {"{\"status\":\"create\",\"id\":\"c1\"}\n{\"status\":\"st", "art\",\"id\":\"c1\"}\n"});
  });
  std::vector<std::string> seen;
  auto status = DockerClient(server.socketPath())
                    .streamEvents({{"container", {"c1"}}, {"event", {"create", "start"}}},
                                  [&](const json& event) {
                                    seen.push_back(event["status"]);
                                    return event["status"] != "start";
                                  });
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(seen, (std::vector<std::string>{"create", "start"}));
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/v1.41/events");
  EXPECT_EQ(json::parse(requests[0].query.at("filters")),
            json::parse(R"({"container": ["c1"], "event": ["create", "start"]})"));
}

TEST(DockerClient, StopEndsARunningEventStreamFromAnotherThread) {
  FakeDockerServer server(
      [](const RecordedRequest&) { return openEventStream({"{\"status\":\"create\"}\n"}); });
  DockerClient client(server.socketPath());
  std::promise<void> streaming;
  bool first = true;
  auto result = std::async(std::launch::async, [&] {
    return client.streamEvents({}, [&](const json&) {
      if (first) streaming.set_value();
      first = false;
      return true;
    });
  });
  ASSERT_EQ(streaming.get_future().wait_for(10s), std::future_status::ready);
  client.stop();
  ASSERT_EQ(result.wait_for(5s), std::future_status::ready) << "stop() did not end the stream";
  auto status = result.get();
  EXPECT_TRUE(status.ok()) << status.message();
  // Sticky: a stream started after stop() returns at once without connecting.
  EXPECT_TRUE(client.streamEvents({}, [](const json&) { return true; }).ok());
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(DockerClient, EventStreamClosedByTheDaemonIsAnError) {
  FakeDockerServer server([](const RecordedRequest&) {
    return fake::chunkedReply(200, "application/json", {"{\"status\":\"die\"}\n"});
  });
  auto status =
      DockerClient(server.socketPath()).streamEvents({}, [](const json&) { return true; });
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("watching Docker events: the Docker daemon closed the "
                                          "event stream"));
}

TEST(DockerClient, EventStreamWithUntilEndsSuccessfully) {
  FakeDockerServer server([](const RecordedRequest&) {
    return fake::chunkedReply(200, "application/json", {"{\"status\":\"die\"}"});
  });
  EventsQuery query;
  query.since = "100";
  query.until = "200";
  int seen = 0;
  auto status = DockerClient(server.socketPath()).streamEventsMatching(query, [&](const json&) {
    ++seen;
    return true;
  });
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(seen, 1);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].query.at("since"), "100");
  EXPECT_EQ(requests[0].query.at("until"), "200");
}

TEST(DockerClient, DaemonNotRunningSaysHowToStartIt) {
  DockerClient client("/tmp/coral-no-daemon-here/docker.sock");
  auto status = client.ping();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            "pinging the Docker daemon: cannot reach the Docker daemon at "
            "/tmp/coral-no-daemon-here/docker.sock: the socket does not exist; start it "
            "(`dockerd &`) or run `make up`, which starts it");
  ContainerSpec spec;
  spec.name = "w";
  spec.image = "coral/worker:latest";
  auto id = client.createContainer(spec);
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(id.message(), HasSubstr("creating container w: cannot reach the Docker daemon"));
}

TEST(DockerClient, ConcurrentCallsUseSeparateConnections) {
  FakeDockerServer server([](const RecordedRequest&) { return fake::emptyReply(204); });
  DockerClient client(server.socketPath());
  std::vector<std::future<Status>> calls;
  for (int i = 0; i < 8; ++i) {
    calls.push_back(std::async(std::launch::async, [&client, i] {
      return client.startContainer("c" + std::to_string(i));
    }));
  }
  for (auto& call : calls) EXPECT_TRUE(call.get().ok());
  EXPECT_EQ(server.requests().size(), 8u);
}

}  // namespace
}  // namespace coral::docker
