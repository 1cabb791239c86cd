#include "docker/http_transport.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>

#include "fake_docker_server.h"

namespace coral::docker {
namespace {

using namespace std::chrono_literals;
using fake::FakeDockerServer;
using fake::FakeReply;
using fake::RecordedRequest;

HttpRequest get(std::string target) {
  HttpRequest request;
  request.target = std::move(target);
  request.timeout = 10s;
  return request;
}

TEST(DockerHttpTransport, ReadsContentLengthBody) {
  FakeDockerServer server([](const RecordedRequest&) {
    return FakeReply{
        {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK"}};
  });
  auto response = UnixHttpTransport(server.socketPath()).roundTrip(get("/v1.41/_ping"));
  ASSERT_TRUE(response.ok()) << response.message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "OK");
  EXPECT_EQ(response->content_type, "text/plain");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/v1.41/_ping");
  EXPECT_EQ(requests[0].headers.at("host"), "localhost");
}

TEST(DockerHttpTransport, DecodesChunkedBodyWrittenInPieces) {
  FakeDockerServer server([](const RecordedRequest&) {
    return FakeReply{{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "5\r\nhel", "lo\r\n",
                      "7", "\r\n, world\r\n0\r", "\n\r\n"}};
  });
  auto response = UnixHttpTransport(server.socketPath()).roundTrip(get("/x"));
  ASSERT_TRUE(response.ok()) << response.message();
  EXPECT_EQ(response->body, "hello, world");
}

TEST(DockerHttpTransport, ReadsBodyDelimitedByConnectionClose) {
  FakeDockerServer server([](const RecordedRequest&) {
    return fake::untilCloseReply(200, "application/vnd.docker.raw-stream", {"part one, ", "two"});
  });
  auto response = UnixHttpTransport(server.socketPath()).roundTrip(get("/x"));
  ASSERT_TRUE(response.ok()) << response.message();
  EXPECT_EQ(response->body, "part one, two");
}

TEST(DockerHttpTransport, SendsJsonBodyWithContentLength) {
  FakeDockerServer server([](const RecordedRequest&) { return fake::emptyReply(204); });
  HttpRequest request = get("/v1.41/containers/c/start");
  request.method = "POST";
  request.body = R"({"a":1})";
  request.content_type = "application/json";
  auto response = UnixHttpTransport(server.socketPath()).roundTrip(request);
  ASSERT_TRUE(response.ok()) << response.message();
  EXPECT_EQ(response->status, 204);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].body, R"({"a":1})");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(requests[0].headers.at("content-length"), "7");
}

TEST(DockerHttpTransport, StreamsAFileAsTheBody) {
  auto path = std::filesystem::temp_directory_path() / "coral-transport-body.bin";
  std::string content(300000, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7);
  std::ofstream(path, std::ios::binary) << content;
  FakeDockerServer server([](const RecordedRequest&) { return fake::emptyReply(204); });
  HttpRequest request = get("/upload");
  request.method = "POST";
  request.body_file = path;
  request.content_type = "application/x-tar";
  auto response = UnixHttpTransport(server.socketPath()).roundTrip(request);
  std::filesystem::remove(path);
  ASSERT_TRUE(response.ok()) << response.message();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/x-tar");
  EXPECT_TRUE(requests[0].body == content) << "uploaded body differs from the file";
}

TEST(DockerHttpTransport, UnreadableBodyFileIsAnError) {
  HttpRequest request = get("/upload");
  request.method = "POST";
  request.body_file = "/nonexistent/coral.tar";
  FakeDockerServer server([](const RecordedRequest&) { return fake::emptyReply(204); });
  auto response = UnixHttpTransport(server.socketPath()).roundTrip(request);
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.message().find("/nonexistent/coral.tar"), std::string::npos)
      << response.message();
}

TEST(DockerHttpTransport, MissingSocketSaysHowToStartTheDaemon) {
  auto response = UnixHttpTransport("/tmp/coral-no-such-dir/docker.sock").roundTrip(get("/x"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.message(),
            "cannot reach the Docker daemon at /tmp/coral-no-such-dir/docker.sock: the socket "
            "does not exist; start it (`dockerd &`) or run `make up`, which starts it");
}

TEST(DockerHttpTransport, RefusedConnectionSaysHowToStartTheDaemon) {
  // A socket file nobody listens on: what a crashed dockerd leaves behind.
  char dir[] = "/tmp/coral-refused-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/docker.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  auto response = UnixHttpTransport(path).roundTrip(get("/x"));
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.message(), "cannot reach the Docker daemon at " + path +
                                    ": connection refused; start it (`dockerd &`) or run `make "
                                    "up`, which starts it");
}

TEST(DockerHttpTransport, SilentDaemonTimesOut) {
  FakeDockerServer server([](const RecordedRequest&) {
    FakeReply reply;
    reply.hold_open = true;  // accept the request, never answer
    return reply;
  });
  HttpRequest request = get("/v1.41/containers/json");
  request.timeout = 200ms;
  const auto start = std::chrono::steady_clock::now();
  auto response = UnixHttpTransport(server.socketPath()).roundTrip(request);
  ASSERT_FALSE(response.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_NE(response.message().find("did not answer GET /v1.41/containers/json within 200 ms"),
            std::string::npos)
      << response.message();
}

TEST(DockerHttpTransport, ConnectionDroppedMidBodyIsAnError) {
  FakeDockerServer server([](const RecordedRequest&) {
    return FakeReply{{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part"}};
  });
  auto response = UnixHttpTransport(server.socketPath()).roundTrip(get("/x"));
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.message().find("lost the connection to the Docker daemon"), std::string::npos)
      << response.message();
}

TEST(DockerHttpTransport, StreamDeliversEachChunkWithoutWaitingForTheEnd) {
  FakeDockerServer server([](const RecordedRequest&) {
    FakeReply reply = fake::chunkedReply(200, "application/json", {"first\n"});
    reply.pieces.pop_back();  // no terminating chunk: the stream stays open
    reply.hold_open = true;
    return reply;
  });
  UnixHttpTransport transport(server.socketPath());
  std::string received;
  auto result = std::async(std::launch::async, [&] {
    HttpRequest request = get("/events");
    request.timeout = 0ms;
    return transport.stream(request, [&](std::string_view bytes) {
      received.append(bytes);
      return false;  // one piece is enough
    });
  });
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready)
      << "the first chunk was not delivered while the stream stayed open";
  auto response = result.get();
  ASSERT_TRUE(response.ok()) << response.message();
  EXPECT_TRUE(response->stopped_early);
  EXPECT_EQ(received, "first\n");
}

TEST(DockerHttpTransport, ErrorBodyIsCollectedNotStreamed) {
  FakeDockerServer server([](const RecordedRequest&) {
    return fake::jsonReply(404, {{"message", "No such container: x"}});
  });
  bool sink_called = false;
  auto response = UnixHttpTransport(server.socketPath()).stream(get("/x"), [&](std::string_view) {
    sink_called = true;
    return true;
  });
  ASSERT_TRUE(response.ok()) << response.message();
  EXPECT_EQ(response->status, 404);
  EXPECT_FALSE(sink_called);
  EXPECT_EQ(response->body, R"({"message":"No such container: x"})");
}

TEST(DockerHttpTransport, CancelSignalInterruptsABlockedRead) {
  FakeDockerServer server([](const RecordedRequest&) {
    FakeReply reply = fake::chunkedReply(200, "application/json", {"hello\n"});
    reply.pieces.pop_back();
    reply.hold_open = true;
    return reply;
  });
  UnixHttpTransport transport(server.socketPath());
  CancelSignal cancel;
  std::promise<void> got_data;
  auto result = std::async(std::launch::async, [&] {
    HttpRequest request = get("/events");
    request.timeout = 0ms;
    bool first = true;
    return transport.stream(
        request,
        [&](std::string_view) {
          if (first) got_data.set_value();
          first = false;
          return true;
        },
        &cancel);
  });
  ASSERT_EQ(got_data.get_future().wait_for(10s), std::future_status::ready);
  cancel.cancel();
  ASSERT_EQ(result.wait_for(5s), std::future_status::ready) << "cancel did not interrupt the read";
  auto response = result.get();
  ASSERT_TRUE(response.ok()) << response.message();
  EXPECT_TRUE(response->stopped_early);
}

TEST(DockerHttpTransport, AlreadyCancelledSignalSkipsTheRequest) {
  FakeDockerServer server([](const RecordedRequest&) { return fake::emptyReply(200); });
  CancelSignal cancel;
  cancel.cancel();
  auto response = UnixHttpTransport(server.socketPath())
                      .stream(
                          get("/events"), [](std::string_view) { return true; }, &cancel);
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(response->stopped_early);
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace coral::docker
