#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/server.h"
#include "api_fixture.h"

namespace coral::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;
using testing::ApiFixture;
using testing::kToken;

class api_server : public ApiFixture {};

Handler echoParams() {
  return [](const Request& req, Responder res) {
    json body = {{"params", req.params}, {"query", req.query}, {"path", req.path},
                 {"method", req.method}, {"peer", req.peer}};
    res.send(jsonResponse(body));
  };
}

// Sends raw bytes over TCP and returns everything the server sends back
// until it closes the connection.
std::string rawExchange(uint16_t port, const std::string& bytes) {
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(socket, asio::buffer(bytes));
  std::string out;
  beast::error_code ec;
  char buf[4096];
  while (true) {
    std::size_t n = socket.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

TEST_F(api_server, RoutesWithParamsAndDecodedQuery) {
  Router router;
  router.add("POST", "/v1/nodes/{name}/restart", echoParams());
  startServer(std::move(router));
  auto r = unixClient().request("POST", "/v1/nodes/worker-2/restart?reason=a%20b+c&x=1");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, "application/json");
  auto body = json::parse(r->body);
  EXPECT_EQ(body["params"]["name"], "worker-2");
  EXPECT_EQ(body["query"]["reason"], "a b c");
  EXPECT_EQ(body["query"]["x"], "1");
  EXPECT_EQ(body["path"], "/v1/nodes/worker-2/restart");
  EXPECT_EQ(body["peer"], "unix");

  r = tcpClient().request("POST", "/v1/nodes/w3/restart");
  ASSERT_TRUE(r.ok()) << r.message();
  body = json::parse(r->body);
  EXPECT_EQ(body["params"]["name"], "w3");
  EXPECT_EQ(body["peer"].get<std::string>().rfind("127.0.0.1:", 0), 0u);
}

TEST_F(api_server, UnknownPathIs404AndWrongMethodIs405AsJsonErrors) {
  Router router;
  router.add("GET", "/v1/nodes", echoParams());
  router.add("POST", "/v1/nodes", echoParams());
  startServer(std::move(router));
  auto client = unixClient();

  auto r = client.request("GET", "/v1/nope");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 404);
  auto body = json::parse(r->body);
  ASSERT_EQ(body.size(), 1u);
  ASSERT_EQ(body["error"].size(), 2u);
  EXPECT_EQ(body["error"]["code"], "not_found");
  EXPECT_NE(body["error"]["message"].get<std::string>().find("/v1/nope"), std::string::npos);

  r = client.request("DELETE", "/v1/nodes");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->headers["allow"], "GET, POST");
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "method_not_allowed");
  EXPECT_EQ(errorMessage(*r), "DELETE /v1/nodes is not supported; /v1/nodes accepts GET, POST");
}

TEST_F(api_server, BearerTokenIsRequiredExceptOnPublicPaths) {
  Router router;
  router.add("GET", "/v1/nodes", echoParams());
  router.add("GET", "/healthz", [](const Request&, Responder res) {
    res.send(jsonResponse({{"ok", true}}));
  });
  startServer(std::move(router));

  auto r = unixClient("").request("GET", "/v1/nodes");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->headers["www-authenticate"], "Bearer realm=\"coral\"");
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "unauthorized");

  r = tcpClient("wrong-token").request("GET", "/v1/nodes");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->headers["www-authenticate"], "Bearer realm=\"coral\", error=\"invalid_token\"");

  // A prefix of the right token is not the right token.
  r = tcpClient(kToken.substr(0, 5)).request("GET", "/v1/nodes");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);

  // Unknown paths do not reveal themselves without a token.
  r = unixClient("").request("GET", "/v1/secret-admin");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);

  r = tcpClient().request("GET", "/v1/nodes");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 200);

  r = tcpClient("").request("GET", "/healthz");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 200);

  // Scheme is case-insensitive.
  std::string raw = rawExchange(server_->tcpPort(),
                                "GET /v1/nodes HTTP/1.1\r\nHost: x\r\nAuthorization: bearer " +
                                    kToken + "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << raw;
}

TEST_F(api_server, ScopedTokenOpensOnlyItsRoutes) {
  Router router;
  router.add("GET", "/v1/nodes", echoParams());
  router.add("GET", "/v1/node-files/share/{file}", echoParams());
  AuthPolicy auth{kToken, {}};
  auth.scoped_tokens["node-token-123"] = {"/v1/node-files/share/{file}"};
  startServer(std::move(router), auth);

  auto r = tcpClient("node-token-123").request("GET", "/v1/node-files/share/hosts");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["params"]["file"], "hosts");

  r = tcpClient("node-token-123").request("GET", "/v1/nodes");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "forbidden");
  // Unknown paths stay hidden from it too.
  r = tcpClient("node-token-123").request("GET", "/v1/secret-admin");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 403);

  // The full token still opens everything, a wrong one nothing.
  r = tcpClient().request("GET", "/v1/node-files/share/hosts");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  r = tcpClient("node-token-12").request("GET", "/v1/node-files/share/hosts");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);
}

TEST_F(api_server, EmptyConfiguredTokenLetsNobodyIn) {
  Router router;
  router.add("GET", "/v1/nodes", echoParams());
  startServer(std::move(router), AuthPolicy{"", {}});
  auto r = unixClient("").request("GET", "/v1/nodes");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);
  std::string raw = rawExchange(server_->tcpPort(),
                                "GET /v1/nodes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \r\n"
                                "Connection: close\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 401", 0), 0u) << raw;
}

TEST_F(api_server, BadJsonBodyIs400ThroughTheHelper) {
  Router router;
  router.add("POST", "/v1/nodes", [](const Request& req, Responder res) {
    auto body = jsonBodyOrReply(req, res);
    if (!body) return;
    res.send(jsonResponse({{"workers", (*body)["workers"]}}, 201));
  });
  startServer(std::move(router));
  auto client = unixClient();
  auto r = client.request("POST", "/v1/nodes", "{\"workers\": ");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 400);
  auto err = json::parse(r->body)["error"];
  EXPECT_EQ(err["code"], "bad_request");
  EXPECT_EQ(err["message"].get<std::string>().rfind("request body is not valid JSON: ", 0), 0u)
      << err["message"];

  r = client.request("POST", "/v1/nodes", "{\"workers\": 4}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(json::parse(r->body)["workers"], 4);
}

TEST_F(api_server, OversizedBodyIs413OnBothTransports) {
  Router router;
  router.add("POST", "/v1/nodes", echoParams());
  ServerOptions options;
  options.body_limit = 1 << 20;
  startServer(std::move(router), AuthPolicy{kToken, {}}, options);
  std::string big(2 << 20, 'x');
  for (auto client : {unixClient(), tcpClient()}) {
    auto r = client.request("POST", "/v1/nodes", big);
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(json::parse(r->body)["error"]["code"], "payload_too_large");
  }
  // Exactly at the limit is fine.
  auto r = unixClient().request("POST", "/v1/nodes", std::string(1 << 20, 'x'));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 200);
  // Without a Content-Length (chunked), the limit is enforced while reading.
  std::string chunked = "POST /v1/nodes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken +
                        "\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) chunked += fmt::format("80000\r\n{}\r\n", std::string(0x80000, 'y'));
  chunked += "0\r\n\r\n";
  std::string raw = rawExchange(server_->tcpPort(), chunked);
  EXPECT_EQ(raw.rfind("HTTP/1.1 413", 0), 0u) << raw.substr(0, 200);
}

TEST_F(api_server, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  Router router;
  router.add("POST", "/v1/nodes", [](const Request& req, Responder res) {
    res.send(jsonResponse({{"size", req.body.size()}}));
  });
  startServer(std::move(router));
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  socket.connect({asio::ip::make_address("127.0.0.1"), server_->tcpPort()});
  std::string head = "POST /v1/nodes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kToken +
                     "\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
  asio::write(socket, asio::buffer(head));
  std::string got;
  asio::read_until(socket, asio::dynamic_buffer(got), "\r\n\r\n");
  EXPECT_EQ(got, "HTTP/1.1 100 Continue\r\n\r\n");
  asio::write(socket, asio::buffer(std::string("hello")));
  got.clear();
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(json::parse(res.body())["size"], 5);

  // Too large: refused from the headers alone, without waiting for the body.
  asio::ip::tcp::socket big(ioc);
  big.connect({asio::ip::make_address("127.0.0.1"), server_->tcpPort()});
  asio::write(big, asio::buffer("POST /v1/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999\r\n"
                                "Expect: 100-continue\r\n\r\n"));
  http::response<http::string_body> refused;
  buffer.clear();
  http::read(big, buffer, refused);
  EXPECT_EQ(refused.result_int(), 413u);
}

TEST_F(api_server, MalformedHttpIs400) {
  Router router;
  router.add("GET", "/v1/nodes", echoParams());
  startServer(std::move(router));
  std::string raw = rawExchange(server_->tcpPort(), "HELLO THERE\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << raw;
  EXPECT_NE(raw.find("\"code\":\"bad_request\""), std::string::npos) << raw;
  EXPECT_NE(raw.find("malformed HTTP request"), std::string::npos) << raw;

  raw = rawExchange(server_->tcpPort(), "GET /v1/nodes HTTP/1.1\r\nBad Header Line\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 400", 0), 0u) << raw;
}

TEST_F(api_server, HandlerRepliesLaterFromAnotherThread) {
  Router router;
  router.add("POST", "/v1/nodes/{name}/restart", [&](const Request& req, Responder res) {
    std::string name = req.params.at("name");  // the Request dies with this call
    spawn([res, name] {
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
      res.send(jsonResponse({{"restarted", name}}, 202));
    });
  });
  startServer(std::move(router));
  auto start = std::chrono::steady_clock::now();
  auto r = tcpClient().request("POST", "/v1/nodes/w1/restart");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(json::parse(r->body)["restarted"], "w1");
}

TEST_F(api_server, AnsweringTwiceIsLoggedAndDroppingTheResponderGives500) {
  Router router;
  router.add("GET", "/twice", [](const Request&, Responder res) {
    res.send(jsonResponse({{"n", 1}}));
    res.send(jsonResponse({{"n", 2}}));
  });
  router.add("GET", "/never", [](const Request&, Responder) {});
  router.add("GET", "/throws", [](const Request&, Responder) { throw std::runtime_error("boom"); });
  startServer(std::move(router));
  auto client = unixClient();
  auto r = client.request("GET", "/twice");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(json::parse(r->body)["n"], 1);
  EXPECT_NE(logs().find("BUG: the handler for GET /twice answered twice"), std::string::npos)
      << logs();

  r = client.request("GET", "/never");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(logs().find("dropped its Responder without answering"), std::string::npos);

  r = client.request("GET", "/throws");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(logs().find("threw: boom"), std::string::npos);
}

TEST_F(api_server, EventStreamDeliversInOrderAndNoticesTheClientLeaving) {
  Router router;
  std::mutex mu;
  std::shared_ptr<EventStream> stream;
  std::atomic<bool> on_close_ran{false};
  router.add("GET", "/v1/events", [&](const Request&, Responder res) {
    auto s = res.startEventStream();
    s->onClose([&] { on_close_ran = true; });
    for (int i = 1; i <= 3; ++i) {
      EXPECT_TRUE(s->send("node", fmt::format("{{\"n\": {}}}", i), i));
    }
    std::lock_guard lock(mu);
    stream = s;
  });
  startServer(std::move(router));

  std::vector<std::pair<std::string, std::string>> got;
  auto status = tcpClient().streamEvents("/v1/events", [&](const std::string& e, const std::string& d) {
    got.emplace_back(e, d);
    return got.size() < 3;  // leave after the third
  });
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].first, "node");
    EXPECT_EQ(json::parse(got[i].second)["n"], i + 1);
  }
  std::shared_ptr<EventStream> s;
  {
    std::lock_guard lock(mu);
    s = stream;
  }
  ASSERT_TRUE(s);
  EXPECT_TRUE(eventually([&] { return s->closed(); }));
  EXPECT_TRUE(eventually([&] { return on_close_ran.load(); }));
  EXPECT_FALSE(s->send("node", "{}", 4));
  EXPECT_NE(server_->metricsText().find("coral_api_event_streams_open 0"), std::string::npos);
}

TEST_F(api_server, EventStreamHeadersMultilineDataAndServerSideClose) {
  Router router;
  router.add("GET", "/v1/events", [](const Request&, Responder res) {
    auto s = res.startEventStream();
    s->comment("hello");
    s->send("log", "{\n  \"line\": 1\n}", 7);
    s->send("", "{\"plain\": true}", 8);
    s->close();
    EXPECT_TRUE(s->closed());
    EXPECT_FALSE(s->send("log", "{}", 9));
  });
  startServer(std::move(router));

  std::vector<std::pair<std::string, std::string>> got;
  auto status = unixClient().streamEvents("/v1/events", [&](const std::string& e, const std::string& d) {
    got.emplace_back(e, d);
    return true;
  });
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, "log");
  EXPECT_EQ(got[0].second, "{\n  \"line\": 1\n}");
  EXPECT_EQ(got[1].first, "message");

  std::string raw = rawExchange(server_->tcpPort(),
                                "GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                    kToken + "\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << raw;
  EXPECT_NE(raw.find("Content-Type: text/event-stream\r\n"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Cache-Control: no-cache\r\n"), std::string::npos) << raw;
  EXPECT_NE(raw.find(": hello\n\nid: 7\nevent: log\ndata: {\ndata:   \"line\": 1\ndata: }\n\n"
                     "id: 8\ndata: {\"plain\": true}\n\n"),
            std::string::npos)
      << raw;

  // A stream is refused like any request without the token.
  status = unixClient("nope").streamEvents("/v1/events", [](auto&, auto&) { return true; });
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("refused the event stream /v1/events: the bearer token was not "
                                  "accepted"),
            std::string::npos)
      << status.message();
}

TEST_F(api_server, StopClosesOpenEventStreamsAndListeners) {
  Router router;
  std::atomic<bool> started{false};
  std::shared_ptr<EventStream> stream;
  router.add("GET", "/v1/events", [&](const Request&, Responder res) {
    stream = res.startEventStream();  // only touched on the io thread
    stream->send("hello", "{}", 1);
  });
  startServer(std::move(router));
  Status status;
  std::thread reader([&] {
    status = unixClient().streamEvents("/v1/events", [&](auto&, auto&) {
      started = true;
      return true;
    });
  });
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  stopServer();  // returns once every connection is closed
  reader.join();
  EXPECT_TRUE(status.ok()) << status.message();
  struct stat st {};
  EXPECT_NE(::lstat(socket_path_.c_str(), &st), 0) << "the socket file should be removed";
}

TEST_F(api_server, KeepAliveServesTwoRequestsOnOneConnection) {
  Router router;
  router.add("GET", "/v1/nodes/{name}", echoParams());
  startServer(std::move(router));

  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect({asio::ip::make_address("127.0.0.1"), server_->tcpPort()});
  beast::flat_buffer buffer;
  std::vector<std::string> peers;
  for (std::string name : {"a", "b"}) {
    http::request<http::string_body> req{http::verb::get, "/v1/nodes/" + name, 11};
    req.set(http::field::host, "x");
    req.set(http::field::authorization, "Bearer " + kToken);
    http::write(stream, req);
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_TRUE(res.keep_alive());
    auto body = json::parse(res.body());
    EXPECT_EQ(body["params"]["name"], name);
    peers.push_back(body["peer"]);
  }
  EXPECT_EQ(peers[0], peers[1]);  // same client port: same connection
}

TEST_F(api_server, IdleConnectionsAreClosedAfterTheReadTimeout) {
  Router router;
  router.add("GET", "/v1/nodes", echoParams());
  ServerOptions options;
  options.read_timeout = std::chrono::milliseconds(200);
  startServer(std::move(router), AuthPolicy{kToken, {}}, options);

  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  socket.connect({asio::ip::make_address("127.0.0.1"), server_->tcpPort()});
  auto start = std::chrono::steady_clock::now();
  char c;
  beast::error_code ec;
  socket.read_some(asio::buffer(&c, 1), ec);  // blocks until the server closes
  EXPECT_EQ(ec, asio::error::eof);
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::seconds(3));
}

TEST_F(api_server, MetricsCountByRoutePattern) {
  Router router;
  router.add("GET", "/v1/nodes/{name}", echoParams());
  startServer(std::move(router));
  auto client = unixClient();
  for (std::string path : {"/v1/nodes/a", "/v1/nodes/b", "/v1/nodes/c", "/nope"}) {
    ASSERT_TRUE(client.request("GET", path).ok());
  }
  ASSERT_TRUE(unixClient("").request("GET", "/v1/nodes/a").ok());
  ASSERT_TRUE(client.request("PATCH", "/v1/nodes/a").ok());
  auto text = server_->metricsText();
  EXPECT_NE(text.find("# TYPE coral_api_requests_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("coral_api_requests_total{method=\"GET\",route=\"/v1/nodes/{name}\","
                      "status=\"200\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("coral_api_requests_total{method=\"GET\",route=\"/v1/nodes/{name}\","
                      "status=\"401\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("coral_api_requests_total{method=\"PATCH\",route=\"/v1/nodes/{name}\","
                      "status=\"405\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("coral_api_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} "
                      "1\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("/v1/nodes/a"), std::string::npos) << "raw paths must not become labels";
}

// Leaves a socket file that nothing listens on, like a crashed daemon does.
void makeStaleSocket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
}

TEST_F(api_server, StaleUnixSocketIsReplacedButALiveOneIsNot) {
  makeStaleSocket(socket_path_);
  auto stale = Client(Endpoint{.unix_path = socket_path_}, kToken).request("GET", "/healthz");
  ASSERT_FALSE(stale.ok());  // refused: nothing listens

  Router router;
  router.add("GET", "/healthz", [](const Request&, Responder res) { res.send(jsonResponse({})); });
  startServer(std::move(router));  // asserts that listenUnix succeeded
  struct stat after {};  // (the inode number may be reused, so it proves nothing)
  ASSERT_EQ(::lstat(socket_path_.c_str(), &after), 0);
  EXPECT_TRUE(S_ISSOCK(after.st_mode));
  EXPECT_EQ(after.st_mode & 0777, 0600u);
  auto r = unixClient().request("GET", "/healthz");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 200);

  // A second daemon on the same state dir must not steal the live socket.
  asio::io_context other_ioc;
  Server other(other_ioc, Router{}, AuthPolicy{});
  auto s = other.listenUnix(socket_path_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("another process is serving on it"), std::string::npos)
      << s.message();
  r = unixClient().request("GET", "/healthz");
  ASSERT_TRUE(r.ok()) << r.message();

  // Nor replace a file that is not a socket.
  std::string plain = dir_ + "/not-a-socket";
  std::ofstream(plain) << "data";
  s = other.listenUnix(plain);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is not a socket"), std::string::npos) << s.message();

  s = other.listenUnix(dir_ + "/missing-dir/api.sock", 0660);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not exist; create the state dir first"), std::string::npos)
      << s.message();
}

TEST_F(api_server, UnixSocketModeIsApplied) {
  asio::io_context ioc;
  Server server(ioc, Router{}, AuthPolicy{});
  ASSERT_TRUE(server.listenUnix(socket_path_, 0660).ok());
  struct stat st {};
  ASSERT_EQ(::lstat(socket_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  server.stop();
  EXPECT_NE(::lstat(socket_path_.c_str(), &st), 0);
}

TEST_F(api_server, TcpListensOnAnExplicitAddressWithEphemeralPort) {
  Router router;
  router.add("GET", "/healthz", [](const Request&, Responder res) {
    res.send(jsonResponse({{"ok", true}}));
  });
  startServer(std::move(router));
  ASSERT_NE(server_->tcpPort(), 0);
  auto r = tcpClient("").request("GET", "/healthz");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 200);

  asio::io_context ioc;
  Server other(ioc, Router{}, AuthPolicy{});
  auto s = other.listenTcp("", 0);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("explicit IP"), std::string::npos) << s.message();
  s = other.listenTcp("localhost", 0);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'localhost' is not an IP address"), std::string::npos);
  s = other.listenTcp("127.0.0.1", server_->tcpPort());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("already in use"), std::string::npos) << s.message();
  EXPECT_EQ(other.tcpPort(), 0);
}

}  // namespace
}  // namespace coral::api
