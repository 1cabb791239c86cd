// The management API's HTTP/1.1 server (Boost.Beast), asynchronous on an
// io_context the caller owns and runs; it starts no threads of its own.
//
//   api::Router router;
//   router.add("GET", "/v1/nodes/{name}", [&](const api::Request& req, api::Responder res) {
//     res.send(api::jsonResponse(lookup(req.params.at("name"))));
//   });
//   api::Server server(ioc, std::move(router), {token, {"/healthz"}});
//   if (auto s = server.listenUnix(state_dir + "/api.sock"); !s) ...
//   if (auto s = server.listenTcp("10.213.0.1", 7480); !s) ...
//   ioc.run();
//
// Each connection runs on its own strand: handlers for one connection never
// run concurrently, and requests on a keep-alive connection are answered in
// order (the next request is read once the previous response is written).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "api/http.h"
#include "api/router.h"
#include "core/result.h"

namespace coral::api {

namespace detail {
struct ReplyState;
struct StreamState;
struct ServerShared;
class ListenerBase;
}  // namespace detail

// A Server-Sent Events stream (text/event-stream) on one connection. The
// connection is closed when close() is called, when the last shared_ptr to
// the EventStream goes away, on Server::stop(), or when the client leaves.
// All methods are thread-safe.
class EventStream {
 public:
  explicit EventStream(std::shared_ptr<detail::StreamState> state);
  ~EventStream();  // close()
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Queues "id: <id>\nevent: <event>\ndata: <data_json>\n\n" (one data: line
  // per line of data_json). False once the stream is closed (client gone,
  // close(), stop(), or a client too slow to keep up: more than
  // ServerOptions::event_queue_limit events queued), true if queued.
  bool send(const std::string& event, const std::string& data_json, uint64_t id);
  // Queues an SSE comment (": text"), e.g. a heartbeat; same return value.
  bool comment(const std::string& text);
  bool closed() const;
  // Writes what is queued, then closes the connection. Idempotent.
  void close();
  // Runs once, on the io_context thread, when the connection has ended for
  // whatever reason (immediately, on the calling thread, if it already has).
  void onClose(std::function<void()> callback);

 private:
  std::shared_ptr<detail::StreamState> state_;
};

// The way a handler answers one request, exactly once, with send() or
// startEventStream(). Copyable; callable from any thread at any later time.
// A second answer is a bug: it is logged ("BUG: ... answered twice") and
// dropped. If every copy is destroyed without an answer, that too is logged
// and the client gets a 500.
class Responder {
 public:
  explicit Responder(std::shared_ptr<detail::ReplyState> state);

  void send(Response response) const;
  // Answers 200 with text/event-stream and Cache-Control: no-cache; the
  // connection then carries only this stream (no read timeout applies).
  std::shared_ptr<EventStream> startEventStream() const;
  bool answered() const;

 private:
  std::shared_ptr<detail::ReplyState> state_;
};

// The body parsed as JSON, or nullopt after answering 400 "bad_request",
// "request body is not valid JSON: <what>":
//   auto body = api::jsonBodyOrReply(req, res);
//   if (!body) return;
std::optional<nlohmann::json> jsonBodyOrReply(const Request& request, const Responder& responder);

struct AuthPolicy {
  // Requests outside public_paths need "Authorization: Bearer <token>",
  // else 401 with WWW-Authenticate. An empty token lets no such request in
  // (fail closed).
  std::string bearer_token;
  // Exact request paths (e.g. "/healthz") or route patterns that need no token.
  std::set<std::string> public_paths;
  // Narrower tokens, each good for the listed route patterns only (the
  // cluster's nodes read their files with one); elsewhere they get 403.
  std::map<std::string, std::set<std::string>> scoped_tokens;
};

struct ServerOptions {
  std::size_t body_limit = 1 << 20;     // larger bodies: 413
  std::size_t header_limit = 64 << 10;  // larger header blocks: 431
  // Time allowed to receive a whole request, and how long an idle keep-alive
  // connection is kept. Not applied to event streams or while a handler works.
  std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
  std::size_t event_queue_limit = 4096;  // unsent events per stream before it is cut
  // Where errors and "BUG:" lines go; default: stderr. May be called from
  // any thread that answers a request.
  std::function<void(const std::string&)> log;
};

class Server {
 public:
  Server(boost::asio::io_context& ioc, Router router, AuthPolicy auth, ServerOptions options = {});
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Listens on a unix socket, chmod'ed to `mode` before it accepts anyone.
  // An existing socket file is replaced only if nothing answers on it.
  Status listenUnix(const std::string& path, mode_t mode = 0600);
  // `address` must be an explicit IP ("127.0.0.1", the bridge IP, "::1";
  // "0.0.0.0" only if you mean it). Port 0 picks a free port: see tcpPort().
  Status listenTcp(const std::string& address, uint16_t port);
  // The bound port of the first TCP listener; 0 if there is none.
  uint16_t tcpPort() const;

  // Closes the listeners and every open connection, including event streams,
  // and removes the unix socket files this server created. Responses that
  // handlers send afterwards are dropped. Callable from any thread (but not
  // concurrently with listen*()): the closing itself is posted to the
  // connections' strands, so let the io_context run until it runs out of
  // work (ioc.run() returns once every connection is closed).
  void stop();

  // Prometheus text format:
  //   coral_api_requests_total{method,route,status}: requests answered,
  //     route being the matched pattern ("unmatched" for 404, "malformed"
  //     for requests that could not be parsed)
  //   coral_api_connections_open, coral_api_event_streams_open: gauges
  std::string metricsText() const;

 private:
  struct SocketFile {
    std::string path;
    dev_t dev;
    ino_t ino;
  };
  boost::asio::io_context& ioc_;
  std::shared_ptr<detail::ServerShared> shared_;
  std::vector<std::shared_ptr<detail::ListenerBase>> listeners_;
  std::vector<SocketFile> socket_files_;
  uint16_t tcp_port_ = 0;
};

}  // namespace coral::api
