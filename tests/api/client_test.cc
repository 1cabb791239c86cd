#include "api/client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api_fixture.h"

namespace coral::api {
namespace {

using json = nlohmann::json;
using testing::ApiFixture;
using testing::kToken;

class api_client : public ApiFixture {};

TEST_F(api_client, MissingUnixSocketNamesThePathCauseAndFix) {
  std::string path = dir_ + "/api.sock";
  auto r = Client(Endpoint{.unix_path = path}, kToken).request("GET", "/v1/nodes");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "cannot reach the Coral daemon at " + path +
                             ": no such file; is the cluster up? run `coral up`");
  auto s = Client(Endpoint{.unix_path = path}, kToken).streamEvents("/v1/events", [](auto&, auto&) {
    return true;
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), r.message());
}

TEST_F(api_client, StaleUnixSocketSaysNoDaemonIsRunning) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path_.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  auto r = Client(Endpoint{.unix_path = socket_path_}, kToken).request("GET", "/v1/nodes");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("connection refused (the socket file is stale"), std::string::npos)
      << r.message();
  EXPECT_NE(r.message().find("run `coral up`"), std::string::npos);
}

TEST_F(api_client, RefusedTcpPortAndMissingEndpoint) {
  // A port that was free a moment ago.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  uint16_t port = a.local_endpoint().port();
  a.close();
  auto r = Client(Endpoint{.host = "127.0.0.1", .port = port}, kToken).request("GET", "/v1/nodes");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), fmt::format("cannot reach the Coral daemon at http://127.0.0.1:{}: "
                                     "connection refused; is the cluster up? run `coral up`",
                                     port));
  r = Client(Endpoint{}, kToken).request("GET", "/v1/nodes");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("no Coral API endpoint is configured"), std::string::npos);
}

TEST_F(api_client, TimeoutNamesTheRequest) {
  Router router;
  router.add("GET", "/v1/slow", [&](const Request&, Responder res) {
    spawn([res] {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      res.send(jsonResponse({}));  // the client has gone: dropped quietly
    });
  });
  startServer(std::move(router));
  auto start = std::chrono::steady_clock::now();
  auto r = unixClient().request("GET", "/v1/slow", "", std::chrono::milliseconds(150));
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "the Coral daemon at " + socket_path_ +
                             " did not answer `GET /v1/slow` within 150ms; it may be busy or "
                             "stuck: check its log, or retry with a longer timeout");
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST_F(api_client, SendsJsonBodiesAndReturnsHeaders) {
  Router router;
  router.add("POST", "/v1/nodes", [](const Request& req, Responder res) {
    Response r = jsonResponse({{"content_type", req.header("Content-Type")},
                               {"body", json::parse(req.body)},
                               {"auth", req.header("authorization")}},
                              201);
    r.headers["X-Coral"] = "yes";
    res.send(std::move(r));
  });
  startServer(std::move(router));
  auto r = tcpClient().request("POST", "/v1/nodes", R"({"workers": 2})");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->headers["x-coral"], "yes");
  EXPECT_EQ(r->content_type, "application/json");
  auto body = json::parse(r->body);
  EXPECT_EQ(body["content_type"], "application/json");
  EXPECT_EQ(body["body"]["workers"], 2);
  EXPECT_EQ(body["auth"], "Bearer " + kToken);
}

}  // namespace
}  // namespace coral::api
