#include "api/server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace coral::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using unix_proto = asio::local::stream_protocol;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Keeps a header value on one line whatever a handler put in it.
std::string oneLine(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return s;
}

std::string metricMethod(const std::string& method) {
  static const std::set<std::string> known = {"GET",    "HEAD",    "POST", "PUT",
                                              "DELETE", "OPTIONS", "PATCH"};
  return known.count(method) ? method : "OTHER";
}

// Compares in time that depends only on the lengths, not on where the
// strings differ.
bool constantTimeEquals(const std::string& a, const std::string& b) {
  std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::string promLabel(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void setCloexec(int fd) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

std::string peerName(const tcp::socket& socket) {
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  if (ep.address().is_v6()) return fmt::format("[{}]:{}", ep.address().to_string(), ep.port());
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

std::string peerName(const unix_proto::socket&) { return "unix"; }

std::string sseFrame(const std::string& event, const std::string& data, uint64_t id) {
  std::string frame = fmt::format("id: {}\n", id);
  if (!event.empty()) frame += "event: " + oneLine(event) + "\n";
  std::size_t start = 0;
  while (true) {
    std::size_t end = data.find('\n', start);
    std::string line = data.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    frame += "data: " + line + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  frame += "\n";
  return frame;
}

}  // namespace

namespace detail {

struct StreamState;

// One connection. The thread-safe entry points post to its strand.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void sendResponse(Response response, bool keep_alive, unsigned version) = 0;
  virtual void startStream(std::shared_ptr<StreamState> stream) = 0;
  virtual void queueFrame(std::string frame) = 0;
  virtual void closeStream() = 0;
  virtual void shutdown() = 0;
};

struct MetricKey {
  std::string method;
  std::string route;
  int status;
  auto operator<=>(const MetricKey&) const = default;
};

struct ServerShared {
  ServerShared(Router r, AuthPolicy a, ServerOptions o)
      : router(std::move(r)), auth(std::move(a)), options(std::move(o)) {}

  const Router router;
  const AuthPolicy auth;
  const ServerOptions options;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> streams_open{0};

  mutable std::mutex mu;
  std::map<MetricKey, uint64_t> requests;
  std::map<uint64_t, std::weak_ptr<SessionBase>> sessions;
  uint64_t next_id = 0;

  void log(const std::string& line) const {
    if (options.log) {
      options.log(line);
    } else {
      fmt::print(stderr, "coral api: {}\n", line);
    }
  }
  void count(const std::string& method, const std::string& route, int status) {
    std::lock_guard lock(mu);
    ++requests[MetricKey{method, route, status}];
  }
  uint64_t add(std::weak_ptr<SessionBase> session) {
    std::lock_guard lock(mu);
    uint64_t id = ++next_id;
    sessions.emplace(id, std::move(session));
    return id;
  }
  void remove(uint64_t id) {
    std::lock_guard lock(mu);
    sessions.erase(id);
  }
};

struct ReplyState {
  std::shared_ptr<ServerShared> shared;
  std::shared_ptr<SessionBase> session;
  std::string method;         // as the client sent it
  std::string metric_method;  // bounded set, for the metrics label
  std::string route;          // pattern, "unmatched"
  std::string path;
  bool keep_alive = true;
  unsigned version = 11;
  std::atomic<bool> answered{false};

  bool claim(const char* how) {
    if (!answered.exchange(true)) return true;
    shared->log(fmt::format("BUG: the handler for {} {} answered twice (second answer: {}); "
                            "the second answer is dropped",
                            method, path, how));
    return false;
  }

  ~ReplyState() {
    if (answered.load()) return;
    shared->log(fmt::format("BUG: the handler for {} {} dropped its Responder without answering; "
                            "sending 500",
                            method, path));
    shared->count(metric_method, route, 500);
    session->sendResponse(
        jsonError(500, "internal",
                  fmt::format("the Coral daemon did not answer {} {} (a bug in the daemon); "
                              "retry, and report it if it persists",
                              method, path)),
        false, version);
  }
};

struct StreamState {
  std::shared_ptr<ServerShared> shared;
  std::weak_ptr<SessionBase> session;
  std::atomic<bool> closed{false};  // no more events accepted

  std::mutex mu;
  bool finished = false;  // the connection has ended
  std::vector<std::function<void()>> on_close;

  void finish() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(mu);
      closed = true;
      if (finished) return;
      finished = true;
      callbacks.swap(on_close);
    }
    for (auto& cb : callbacks) cb();
  }
};

template <class Protocol>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Protocol>> {
 public:
  using Stream = beast::basic_stream<Protocol, asio::any_io_executor, beast::unlimited_rate_policy>;

  Session(typename Protocol::socket socket, std::shared_ptr<ServerShared> shared, std::string peer)
      : stream_(std::move(socket)), shared_(std::move(shared)), peer_(std::move(peer)) {}

  ~Session() override {
    shared_->remove(id_);
    if (stream_state_) stream_state_->finish();
  }

  void start() {
    id_ = shared_->add(this->weak_from_this());
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->doRead(); });
  }

  void sendResponse(Response response, bool keep_alive, unsigned version) override {
    asio::post(stream_.get_executor(),
               [self = this->shared_from_this(), r = std::move(response), keep_alive,
                version]() mutable { self->writeResponse(std::move(r), keep_alive, version, false); });
  }
  void startStream(std::shared_ptr<StreamState> stream) override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), s = std::move(stream)] {
      self->doStartStream(s);
    });
  }
  void queueFrame(std::string frame) override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), f = std::move(frame)]() mutable {
      self->doQueue(std::move(f));
    });
  }
  void closeStream() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->closed_) return;
      self->close_after_flush_ = true;
      self->flush();
    });
  }
  void shutdown() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->doClose(); });
  }

 private:
  const ServerOptions& options() const { return shared_->options; }

  // ---- requests ----

  void doRead() {
    if (closed_) return;
    if (shared_->stopping) return doClose();
    parser_.emplace();
    parser_->body_limit(options().body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(options().header_limit));
    stream_.expires_after(options().read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->onHeader(ec);
                            });
  }

  void onHeader(beast::error_code ec) {
    if (closed_) return;
    if (ec) return onReadError(ec);
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue),
                        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                          if (self->closed_) return;
                          if (ec) return self->doClose();
                          self->readBody();
                        });
      return;
    }
    readBody();
  }

  void readBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->onRead(ec);
                     });
  }

  void onReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return replyMalformed(413, "payload_too_large",
                            fmt::format("the request body is larger than the API's limit of {} "
                                        "bytes; send less data per request",
                                        options().body_limit));
    }
    if (ec == http::error::header_limit) {
      return replyMalformed(431, "headers_too_large",
                            fmt::format("the request headers are larger than the API's limit of "
                                        "{} bytes",
                                        options().header_limit));
    }
    // Parse errors (as opposed to the peer leaving, a timeout, or a closed
    // socket) get a 400 so that a human poking with nc/curl sees why.
    static const auto& http_category = http::make_error_code(http::error::bad_method).category();
    if (ec.category() == http_category && ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      return replyMalformed(400, "bad_request",
                            fmt::format("malformed HTTP request: {}", ec.message()));
    }
    doClose();
  }

  void replyMalformed(int status, const std::string& code, const std::string& message) {
    shared_->count("OTHER", "malformed", status);
    writeResponse(jsonError(status, code, message), false, 11, true);
  }

  void onRead(beast::error_code ec) {
    if (closed_) return;
    if (ec) return onReadError(ec);
    stream_.expires_never();  // the handler may take its time
    auto msg = parser_->release();

    Request request;
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    auto q = request.target.find('?');
    request.path = request.target.substr(0, q);
    if (q != std::string::npos) request.query = parseQuery(request.target.substr(q + 1));
    for (const auto& field : msg) {
      auto& slot = request.headers[lower(std::string(field.name_string()))];
      if (!slot.empty()) slot += ", ";
      slot += std::string(field.value());
    }
    request.body = std::move(msg.body());
    request.peer = peer_;

    auto match = shared_->router.match(request.method, request.path);
    auto state = std::make_shared<ReplyState>();
    state->shared = shared_;
    state->session = this->shared_from_this();
    state->method = request.method;
    state->metric_method = metricMethod(request.method);
    state->route = match.pattern.empty() ? "unmatched" : match.pattern;
    state->path = request.path;
    state->keep_alive = msg.keep_alive();
    state->version = msg.version();
    Responder responder(state);
    state.reset();

    const auto& auth = shared_->auth;
    bool is_public = auth.public_paths.count(request.path) > 0 ||
                     (!match.pattern.empty() && auth.public_paths.count(match.pattern) > 0);
    if (!is_public) {
      if (auto denied = checkAuth(request.header("authorization"), match.pattern)) {
        responder.send(std::move(*denied));
        return;
      }
    }
    if (match.status == 404) {
      responder.send(jsonError(404, "not_found",
                               fmt::format("the Coral API has no endpoint {}; check the path "
                                           "(endpoints live under /v1/)",
                                           request.path)));
      return;
    }
    if (match.status == 405) {
      Response r = jsonError(405, "method_not_allowed",
                             fmt::format("{} {} is not supported; {} accepts {}", request.method,
                                         request.path, match.pattern, match.allow));
      r.headers["Allow"] = match.allow;
      responder.send(std::move(r));
      return;
    }
    request.params = std::move(match.params);
    try {
      (*match.handler)(request, responder);
    } catch (const std::exception& e) {
      handlerThrew(request, responder, e.what());
    } catch (...) {
      handlerThrew(request, responder, "unknown exception");
    }
  }

  void handlerThrew(const Request& request, const Responder& responder, const std::string& what) {
    shared_->log(fmt::format("BUG: the handler for {} {} threw: {}", request.method, request.path,
                             what));
    if (!responder.answered()) {
      responder.send(jsonError(500, "internal",
                               fmt::format("the Coral daemon failed on {} {}: {}; this is a bug, "
                                           "please report it",
                                           request.method, request.path, what)));
    }
  }

  // nullopt when authorized, else the 401 (or 403 for a scoped token) to send.
  std::optional<Response> checkAuth(const std::string& authorization,
                                    const std::string& pattern) const {
    std::string value = trim(authorization);
    if (value.empty()) {
      Response r = jsonError(401, "unauthorized",
                             "this API needs a bearer token: send `Authorization: Bearer <token>` "
                             "with the token of the running Coral cluster");
      r.headers["WWW-Authenticate"] = "Bearer realm=\"coral\"";
      return r;
    }
    std::string token;
    if (value.size() > 7 && beast::iequals(value.substr(0, 7), "bearer ")) {
      token = trim(value.substr(7));
    }
    const std::string& expected = shared_->auth.bearer_token;
    if (!token.empty() && !expected.empty() && constantTimeEquals(token, expected)) {
      return std::nullopt;
    }
    for (const auto& [scoped, patterns] : shared_->auth.scoped_tokens) {
      if (token.empty() || scoped.empty() || !constantTimeEquals(token, scoped)) continue;
      if (!pattern.empty() && patterns.count(pattern)) return std::nullopt;
      return jsonError(403, "forbidden",
                       "this token only lets cluster nodes read their files; use the cluster's "
                       "API token (api-token in the state dir) for the rest of the API");
    }
    Response r = jsonError(401, "unauthorized",
                           "the bearer token was not accepted; send `Authorization: Bearer "
                           "<token>` with the token of the running Coral cluster");
    r.headers["WWW-Authenticate"] = "Bearer realm=\"coral\", error=\"invalid_token\"";
    return r;
  }

  // ---- responses ----

  void writeResponse(Response r, bool keep_alive, unsigned version, bool linger) {
    if (closed_ || stream_state_) return;
    if (r.status < 100 || r.status > 599) {
      shared_->log(fmt::format("BUG: a handler answered with HTTP status {}; sending 500", r.status));
      r = jsonError(500, "internal", "the Coral daemon produced an invalid response (a bug)");
    }
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version == 10 ? 10 : 11);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "coral");
    if (!r.body.empty() && !r.content_type.empty()) {
      res->set(http::field::content_type, oneLine(r.content_type));
    }
    for (auto& [name, value] : r.headers) res->set(oneLine(name), oneLine(value));
    res->body() = std::move(r.body);
    bool keep = keep_alive && !linger && !shared_->stopping;
    res->keep_alive(keep);
    res->prepare_payload();
    stream_.expires_after(options().write_timeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res, keep, linger](beast::error_code ec,
                                                                           std::size_t) {
                        if (self->closed_) return;
                        if (ec) return self->doClose();
                        if (keep) return self->doRead();
                        self->finishConnection(linger);
                      });
  }

  // Half-closes; with `linger`, reads and discards what the client still
  // sends (e.g. the rest of a too-large body) for up to 2 s, so that the
  // kernel does not answer it with a reset that could destroy our response
  // before the client reads it.
  void finishConnection(bool linger) {
    beast::error_code ec;
    stream_.socket().shutdown(asio::socket_base::shutdown_send, ec);
    if (!linger || ec) return doClose();
    stream_.expires_after(std::chrono::seconds(2));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (self->closed_) return;
                              if (ec) return self->doClose();
                              self->drain();
                            });
  }

  void doClose() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(asio::socket_base::shutdown_both, ec);
    stream_.close();
    if (stream_state_) {
      --shared_->streams_open;
      stream_state_->finish();
    }
  }

  // ---- event streams ----

  void doStartStream(std::shared_ptr<StreamState> state) {
    if (closed_) {
      state->finish();
      return;
    }
    stream_state_ = std::move(state);
    ++shared_->streams_open;
    stream_.expires_never();
    queue_.push_back(
        "HTTP/1.1 200 OK\r\n"
        "Server: coral\r\n"
        "Content-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\n"
        "X-Accel-Buffering: no\r\n"
        "Connection: close\r\n"
        "\r\n");
    flush();
    watchPeer();
  }

  void doQueue(std::string frame) {
    if (closed_ || !stream_state_ || close_after_flush_) return;
    if (queue_.size() >= options().event_queue_limit) {
      shared_->log(fmt::format("closing the event stream to {}: the client is not reading "
                               "({} events unsent)",
                               peer_, queue_.size()));
      return doClose();
    }
    queue_.push_back(std::move(frame));
    flush();
  }

  void flush() {
    if (writing_ || closed_) return;
    if (queue_.empty()) {
      if (close_after_flush_) finishConnection(false);
      return;
    }
    writing_ = true;
    // deque::push_back keeps references valid, so front() outlives the write.
    asio::async_write(stream_, asio::buffer(queue_.front()),
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (self->closed_) return;
                        if (ec) return self->doClose();
                        self->queue_.pop_front();
                        self->flush();
                      });
  }

  // A client of an event stream sends nothing more; a completed read means
  // it went away (EOF or reset).
  void watchPeer() {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (self->closed_) return;
                              if (ec) return self->doClose();
                              self->watchPeer();
                            });
  }

  Stream stream_;
  std::shared_ptr<ServerShared> shared_;
  std::string peer_;
  uint64_t id_ = 0;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool closed_ = false;
  char discard_[4096];

  std::shared_ptr<StreamState> stream_state_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool close_after_flush_ = false;
};

class ListenerBase {
 public:
  virtual ~ListenerBase() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
};

template <class Protocol>
class Listener final : public ListenerBase, public std::enable_shared_from_this<Listener<Protocol>> {
 public:
  Listener(asio::io_context& ioc, typename Protocol::acceptor acceptor,
           std::shared_ptr<ServerShared> shared, std::string where)
      : ioc_(ioc),
        acceptor_(std::move(acceptor)),
        retry_(acceptor_.get_executor()),
        shared_(std::move(shared)),
        where_(std::move(where)) {}

  void start() override {
    asio::post(acceptor_.get_executor(), [self = this->shared_from_this()] { self->accept(); });
  }

  void stop() override {
    asio::post(acceptor_.get_executor(), [self = this->shared_from_this()] {
      self->stopped_ = true;
      beast::error_code ec;
      self->acceptor_.close(ec);
      self->retry_.cancel();
    });
  }

 private:
  void accept() {
    if (stopped_ || shared_->stopping) return;
    acceptor_.async_accept(asio::make_strand(ioc_),
                           [self = this->shared_from_this()](beast::error_code ec,
                                                             typename Protocol::socket socket) {
                             self->onAccept(ec, std::move(socket));
                           });
  }

  void onAccept(beast::error_code ec, typename Protocol::socket socket) {
    if (stopped_ || shared_->stopping) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // E.g. out of file descriptors: back off instead of spinning.
      shared_->log(fmt::format("accepting a connection on {} failed: {}; retrying", where_,
                               ec.message()));
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (!ec) self->accept();
      });
      return;
    }
    setCloexec(socket.native_handle());
    std::string peer = peerName(socket);
    std::make_shared<Session<Protocol>>(std::move(socket), shared_, std::move(peer))->start();
    accept();
  }

  asio::io_context& ioc_;
  typename Protocol::acceptor acceptor_;
  asio::steady_timer retry_;
  std::shared_ptr<ServerShared> shared_;
  std::string where_;
  bool stopped_ = false;
};

}  // namespace detail

// ---- EventStream ----

EventStream::EventStream(std::shared_ptr<detail::StreamState> state) : state_(std::move(state)) {}

EventStream::~EventStream() { close(); }

bool EventStream::send(const std::string& event, const std::string& data_json, uint64_t id) {
  if (state_->closed) return false;
  auto session = state_->session.lock();
  if (!session) {
    state_->closed = true;
    return false;
  }
  session->queueFrame(sseFrame(event, data_json, id));
  return true;
}

bool EventStream::comment(const std::string& text) {
  if (state_->closed) return false;
  auto session = state_->session.lock();
  if (!session) {
    state_->closed = true;
    return false;
  }
  session->queueFrame(": " + oneLine(text) + "\n\n");
  return true;
}

bool EventStream::closed() const { return state_->closed; }

void EventStream::close() {
  if (state_->closed.exchange(true)) return;
  if (auto session = state_->session.lock()) session->closeStream();
}

void EventStream::onClose(std::function<void()> callback) {
  {
    std::lock_guard lock(state_->mu);
    if (!state_->finished) {
      state_->on_close.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

// ---- Responder ----

Responder::Responder(std::shared_ptr<detail::ReplyState> state) : state_(std::move(state)) {}

void Responder::send(Response response) const {
  if (!state_->claim("send")) return;
  state_->shared->count(state_->metric_method, state_->route, response.status);
  state_->session->sendResponse(std::move(response), state_->keep_alive, state_->version);
}

std::shared_ptr<EventStream> Responder::startEventStream() const {
  auto stream = std::make_shared<detail::StreamState>();
  stream->shared = state_->shared;
  if (!state_->claim("startEventStream")) {
    stream->finish();  // a closed stream: send() returns false
    return std::make_shared<EventStream>(stream);
  }
  stream->session = state_->session;
  state_->shared->count(state_->metric_method, state_->route, 200);
  state_->session->startStream(stream);
  return std::make_shared<EventStream>(stream);
}

bool Responder::answered() const { return state_->answered; }

std::optional<nlohmann::json> jsonBodyOrReply(const Request& request, const Responder& responder) {
  auto parsed = parseJsonBody(request);
  if (!parsed) {
    responder.send(jsonError(400, "bad_request", parsed.message()));
    return std::nullopt;
  }
  return std::move(parsed).value();
}

// ---- Server ----

Server::Server(asio::io_context& ioc, Router router, AuthPolicy auth, ServerOptions options)
    : ioc_(ioc),
      shared_(std::make_shared<detail::ServerShared>(std::move(router), std::move(auth),
                                                     std::move(options))) {}

Server::~Server() { stop(); }

namespace {

// Is something accepting connections on the unix socket at `path`?
// Returns an error when that cannot be told.
Result<bool> unixSocketAnswers(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return makeError(fmt::format("cannot create a socket: {}", std::strerror(errno)));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  ::close(fd);
  if (rc == 0 || err == EAGAIN || err == EINPROGRESS) return true;  // EAGAIN: alive but busy
  if (err == ECONNREFUSED || err == ENOENT) return false;
  return makeError(fmt::format("cannot tell whether a daemon is listening on {}: {}", path,
                               std::strerror(err)));
}

std::string parentDir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Status Server::listenUnix(const std::string& path, mode_t mode) {
  if (path.empty()) {
    return makeError("cannot listen on a unix socket: no path given; pass the socket path in the "
                     "cluster's state dir");
  }
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return makeError(fmt::format("cannot listen on the unix socket {}: the path is {} bytes, "
                                 "longer than the system's limit of {}; use a shorter state dir",
                                 path, path.size(), sizeof(sockaddr_un::sun_path) - 1));
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return makeError(fmt::format("cannot listen on {}: the file exists and is not a socket; "
                                   "refusing to replace it; move it away or use another state dir",
                                   path));
    }
    auto answers = unixSocketAnswers(path);
    if (!answers) return answers.error();
    if (*answers) {
      return makeError(fmt::format("cannot listen on {}: another process is serving on it (is a "
                                   "Coral daemon already running for this state dir?); stop it "
                                   "first",
                                   path));
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return makeError(fmt::format("cannot remove the stale socket {}: {}; remove it by hand",
                                   path, std::strerror(errno)));
    }
  } else if (errno != ENOENT) {
    return makeError(fmt::format("cannot listen on {}: {}", path, std::strerror(errno)));
  }

  unix_proto::acceptor acceptor(asio::make_strand(ioc_));
  beast::error_code ec;
  acceptor.open(unix_proto(), ec);
  if (!ec) setCloexec(acceptor.native_handle());
  if (!ec) acceptor.bind(unix_proto::endpoint(path), ec);
  if (ec) {
    if (ec == beast::errc::no_such_file_or_directory) {
      return makeError(fmt::format("cannot listen on {}: the directory {} does not exist; create "
                                   "the state dir first",
                                   path, parentDir(path)));
    }
    if (ec == beast::errc::permission_denied) {
      return makeError(fmt::format("cannot listen on {}: permission denied on {}; run the daemon "
                                   "as the owner of the state dir (or root)",
                                   path, parentDir(path)));
    }
    return makeError(fmt::format("cannot listen on {}: {}", path, ec.message()));
  }
  // Nobody can connect before listen(), so the mode is in place before the
  // first client could use a wider default.
  if (::chmod(path.c_str(), mode) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    return makeError(fmt::format("cannot set mode {:o} on {}: {}", mode, path, std::strerror(err)));
  }
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    ::unlink(path.c_str());
    return makeError(fmt::format("cannot listen on {}: {}", path, ec.message()));
  }
  if (::lstat(path.c_str(), &st) == 0) socket_files_.push_back({path, st.st_dev, st.st_ino});

  auto listener = std::make_shared<detail::Listener<unix_proto>>(ioc_, std::move(acceptor),
                                                                 shared_, path);
  listener->start();
  listeners_.push_back(listener);
  return okStatus();
}

Status Server::listenTcp(const std::string& address, uint16_t port) {
  if (address.empty()) {
    return makeError("cannot listen on TCP: no address given; pass an explicit IP such as "
                     "127.0.0.1 or the cluster bridge IP (the API never listens on all "
                     "interfaces by default)");
  }
  beast::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) {
    return makeError(fmt::format("cannot listen on TCP: '{}' is not an IP address; pass one such "
                                 "as 127.0.0.1 or the cluster bridge IP",
                                 address));
  }
  tcp::endpoint endpoint(ip, port);
  std::string where = ip.is_v6() ? fmt::format("[{}]:{}", address, port)
                                 : fmt::format("{}:{}", address, port);
  tcp::acceptor acceptor(asio::make_strand(ioc_));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) setCloexec(acceptor.native_handle());
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (ec) {
    if (ec == asio::error::address_in_use) {
      return makeError(fmt::format("cannot listen on {}: the address is already in use (is "
                                   "another Coral daemon running?); stop it or pick another port",
                                   where));
    }
    if (ec == beast::errc::address_not_available) {
      return makeError(fmt::format("cannot listen on {}: no interface on this host has the "
                                   "address {}; is the cluster network up?",
                                   where, address));
    }
    if (ec == asio::error::access_denied) {
      return makeError(fmt::format("cannot listen on {}: permission denied (ports below 1024 need "
                                   "root); pick a port above 1024",
                                   where));
    }
    return makeError(fmt::format("cannot listen on {}: {}", where, ec.message()));
  }
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return makeError(fmt::format("cannot listen on {}: {}", where, ec.message()));
  uint16_t bound = acceptor.local_endpoint(ec).port();
  if (tcp_port_ == 0) tcp_port_ = bound;

  auto listener = std::make_shared<detail::Listener<tcp>>(ioc_, std::move(acceptor), shared_,
                                                          where);
  listener->start();
  listeners_.push_back(listener);
  return okStatus();
}

uint16_t Server::tcpPort() const { return tcp_port_; }

void Server::stop() {
  shared_->stopping = true;
  for (auto& listener : listeners_) listener->stop();
  listeners_.clear();

  std::vector<std::shared_ptr<detail::SessionBase>> sessions;
  {
    std::lock_guard lock(shared_->mu);
    for (auto& [id, weak] : shared_->sessions) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
  }
  for (auto& s : sessions) s->shutdown();

  // Remove our socket files, unless someone has replaced them since.
  for (const auto& file : socket_files_) {
    struct stat st {};
    if (::lstat(file.path.c_str(), &st) == 0 && st.st_dev == file.dev && st.st_ino == file.ino) {
      ::unlink(file.path.c_str());
    }
  }
  socket_files_.clear();
}

std::string Server::metricsText() const {
  std::map<detail::MetricKey, uint64_t> requests;
  std::size_t connections = 0;
  {
    std::lock_guard lock(shared_->mu);
    requests = shared_->requests;
    connections = shared_->sessions.size();
  }
  std::string out =
      "# HELP coral_api_requests_total API requests answered, by method, route pattern and "
      "status.\n"
      "# TYPE coral_api_requests_total counter\n";
  for (const auto& [key, count] : requests) {
    out += fmt::format("coral_api_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
                       promLabel(key.method), promLabel(key.route), key.status, count);
  }
  out += fmt::format(
      "# HELP coral_api_connections_open Open API connections, event streams included.\n"
      "# TYPE coral_api_connections_open gauge\n"
      "coral_api_connections_open {}\n"
      "# HELP coral_api_event_streams_open Open Server-Sent Events streams.\n"
      "# TYPE coral_api_event_streams_open gauge\n"
      "coral_api_event_streams_open {}\n",
      connections, shared_->streams_open.load());
  return out;
}

}  // namespace coral::api
