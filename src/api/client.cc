#include "api/client.h"

#include <algorithm>
#include <limits>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace coral::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using unix_proto = asio::local::stream_protocol;
using Clock = std::chrono::steady_clock;

namespace {

template <class Protocol>
using Stream = beast::basic_stream<Protocol, asio::any_io_executor, beast::unlimited_rate_policy>;

constexpr std::uint64_t kMaxResponseBody = 256ull << 20;
constexpr auto kStreamConnectTimeout = std::chrono::seconds(10);

// Runs the private io_context until its pending operation has finished (the
// stream's own timer bounds it).
void runAll(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string formatDuration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{}s", d.count() / 1000);
  return fmt::format("{}ms", d.count());
}

std::string unreachable(const std::string& where, bool is_unix, const beast::error_code& ec,
                        std::chrono::milliseconds timeout) {
  std::string cause;
  if (ec == beast::errc::no_such_file_or_directory) {
    cause = "no such file; is the cluster up? run `coral up`";
  } else if (ec == asio::error::connection_refused) {
    cause = is_unix ? "connection refused (the socket file is stale: no daemon is running); is "
                      "the cluster up? run `coral up`"
                    : "connection refused; is the cluster up? run `coral up`";
  } else if (ec == beast::errc::permission_denied) {
    cause = "permission denied; run the command as the user who started the cluster (or with "
            "sudo)";
  } else if (ec == beast::error::timeout) {
    cause = fmt::format("no connection within {}; is the daemon stuck or the network down?",
                        formatDuration(timeout));
  } else if (ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again) {
    cause = "cannot resolve the host name; check the API address";
  } else if (ec == asio::error::network_unreachable || ec == asio::error::host_unreachable) {
    cause = "no route to it; is the cluster network up?";
  } else {
    cause = ec.message() + "; is the cluster up? run `coral up`";
  }
  return fmt::format("cannot reach the Coral daemon at {}: {}", where, cause);
}

Status connectStream(asio::io_context& ioc, Stream<unix_proto>& stream, const Endpoint& endpoint,
                     Clock::time_point deadline, std::chrono::milliseconds timeout) {
  beast::error_code result;
  stream.expires_at(deadline);
  stream.async_connect(unix_proto::endpoint(endpoint.unix_path),
                       [&](beast::error_code ec) { result = ec; });
  runAll(ioc);
  if (result) return makeError(unreachable(endpoint.unix_path, true, result, timeout));
  return okStatus();
}

Status connectStream(asio::io_context& ioc, Stream<tcp>& stream, const Endpoint& endpoint,
                     Clock::time_point deadline, std::chrono::milliseconds timeout) {
  std::string where = fmt::format("http://{}:{}", endpoint.host, endpoint.port);
  tcp::resolver resolver(ioc);
  beast::error_code result = asio::error::timed_out;
  tcp::resolver::results_type endpoints;
  bool resolved = false;
  resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                         [&](beast::error_code ec, tcp::resolver::results_type r) {
                           resolved = true;
                           result = ec;
                           endpoints = std::move(r);
                         });
  ioc.restart();
  ioc.run_until(deadline);
  if (!resolved) {
    resolver.cancel();
    runAll(ioc);
    return makeError(unreachable(where, false, beast::error::timeout, timeout));
  }
  if (result) return makeError(unreachable(where, false, result, timeout));
  stream.expires_at(deadline);
  stream.async_connect(endpoints, [&](beast::error_code ec, const tcp::endpoint&) { result = ec; });
  runAll(ioc);
  if (result) return makeError(unreachable(where, false, result, timeout));
  return okStatus();
}

http::request<http::string_body> makeRequest(const Endpoint& endpoint, const std::string& authorization,
                                             const std::string& method, const std::string& target) {
  http::request<http::string_body> req;
  auto verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    req.method_string(method);
  } else {
    req.method(verb);
  }
  req.target(target);
  req.version(11);
  if (!endpoint.unix_path.empty()) {
    req.set(http::field::host, "localhost");
  } else if (endpoint.host.find(':') != std::string::npos) {
    req.set(http::field::host, fmt::format("[{}]:{}", endpoint.host, endpoint.port));
  } else {
    req.set(http::field::host, fmt::format("{}:{}", endpoint.host, endpoint.port));
  }
  req.set(http::field::user_agent, "coral-client");
  if (!authorization.empty()) req.set(http::field::authorization, authorization);
  req.keep_alive(false);
  return req;
}

template <class Fields>
void copyHeaders(const Fields& fields, Response& out) {
  for (const auto& field : fields) {
    auto& slot = out.headers[lower(std::string(field.name_string()))];
    if (!slot.empty()) slot += ", ";
    slot += std::string(field.value());
  }
  auto it = out.headers.find("content-type");
  out.content_type = it == out.headers.end() ? "" : it->second;
}

void closeStream(auto& stream) {
  beast::error_code ec;
  stream.socket().shutdown(asio::socket_base::shutdown_both, ec);
  stream.close();
}

template <class Protocol>
Result<Response> exchange(asio::io_context& ioc, Stream<Protocol>& stream,
                          http::request<http::string_body>& req, const std::string& where,
                          Clock::time_point deadline, std::chrono::milliseconds timeout) {
  std::string what = fmt::format("`{} {}`", std::string(req.method_string()),
                                 std::string(req.target()));
  beast::error_code write_ec;
  stream.expires_at(deadline);
  http::async_write(stream, req, [&](beast::error_code ec, std::size_t) { write_ec = ec; });
  runAll(ioc);
  if (write_ec == beast::error::timeout) {
    return makeError(fmt::format("the Coral daemon at {} did not take the request {} within {}; "
                                 "it may be busy or stuck: check its log, or retry with a longer "
                                 "timeout",
                                 where, what, formatDuration(timeout)));
  }
  // Even when the write failed, the daemon may have answered first (a 413
  // for a body it would not read): try to read that answer.
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBody);
  if (req.method() == http::verb::head) parser.skip(true);  // no body follows
  beast::error_code read_ec;
  stream.expires_at(deadline);
  http::async_read(stream, buffer, parser, [&](beast::error_code ec, std::size_t) { read_ec = ec; });
  runAll(ioc);
  closeStream(stream);
  if (read_ec) {
    if (read_ec == beast::error::timeout) {
      return makeError(fmt::format("the Coral daemon at {} did not answer {} within {}; it may be "
                                   "busy or stuck: check its log, or retry with a longer timeout",
                                   where, what, formatDuration(timeout)));
    }
    if (write_ec) {
      return makeError(fmt::format("lost the connection to the Coral daemon at {} while sending "
                                   "{}: {}; check the daemon's log",
                                   where, what, write_ec.message()));
    }
    return makeError(fmt::format("the Coral daemon at {} closed the connection without answering "
                                 "{} ({}); check the daemon's log",
                                 where, what, read_ec.message()));
  }
  auto& res = parser.get();
  Response out;
  out.status = static_cast<int>(res.result_int());
  copyHeaders(res, out);
  out.body = std::move(res.body());
  return out;
}

// Incremental text/event-stream parser.
class SseParser {
 public:
  using Callback = std::function<bool(const std::string&, const std::string&)>;
  explicit SseParser(const Callback& on_event) : on_event_(on_event) {}

  // False once on_event asked to stop.
  bool feed(std::string_view chunk) {
    for (char c : chunk) {
      if (c != '\n') {
        line_.push_back(c);
        continue;
      }
      bool go = onLine();
      line_.clear();
      if (!go) return false;
    }
    return true;
  }

 private:
  bool onLine() {
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (line_.empty()) {  // end of an event
      bool go = true;
      if (has_data_) go = on_event_(event_.empty() ? "message" : event_, data_);
      event_.clear();
      data_.clear();
      has_data_ = false;
      return go;
    }
    if (line_[0] == ':') return true;  // comment
    auto colon = line_.find(':');
    std::string field = line_.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line_.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (field == "event") {
      event_ = value;
    } else if (field == "data") {
      if (has_data_) data_ += '\n';
      data_ += value;
      has_data_ = true;
    }  // "id" and "retry" are not needed here
    return true;
  }

  const Callback& on_event_;
  std::string line_, event_, data_;
  bool has_data_ = false;
};

template <class Protocol>
Status readEvents(asio::io_context& ioc, Stream<Protocol>& stream,
                  http::request<http::string_body>& req, const std::string& where,
                  Clock::time_point deadline, const SseParser::Callback& on_event) {
  std::string target(req.target());
  beast::error_code result;
  stream.expires_at(deadline);
  http::async_write(stream, req, [&](beast::error_code ec, std::size_t) { result = ec; });
  runAll(ioc);
  if (result) {
    return makeError(fmt::format("cannot request the event stream {} from the Coral daemon at {}: "
                                 "{}; check the daemon's log",
                                 target, where, result.message()));
  }

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  stream.expires_at(deadline);
  http::async_read_header(stream, buffer, parser,
                          [&](beast::error_code ec, std::size_t) { result = ec; });
  runAll(ioc);
  if (result) {
    return makeError(fmt::format("the Coral daemon at {} did not answer the event stream request "
                                 "{} ({}); check the daemon's log",
                                 where, target, result.message()));
  }
  int status = static_cast<int>(parser.get().result_int());
  bool ok = status == 200;
  if (ok) stream.expires_never();  // events may be far apart

  SseParser sse(on_event);
  std::string error_body;
  char buf[8192];
  while (!parser.is_done()) {
    parser.get().body().data = buf;
    parser.get().body().size = sizeof(buf);
    http::async_read_some(stream, buffer, parser,
                          [&](beast::error_code ec, std::size_t) { result = ec; });
    runAll(ioc);
    if (result == http::error::need_buffer) result = {};
    std::size_t got = sizeof(buf) - parser.get().body().size;
    if (ok) {
      if (!sse.feed(std::string_view(buf, got))) {
        closeStream(stream);
        return okStatus();
      }
    } else if (error_body.size() < 64 * 1024) {
      error_body.append(buf, got);
    }
    if (result == http::error::end_of_stream) break;
    if (result) {
      if (!ok) break;
      return makeError(fmt::format("the event stream {} from the Coral daemon at {} broke: {}",
                                   target, where, result.message()));
    }
  }
  closeStream(stream);
  if (!ok) {
    Response r;
    r.status = status;
    r.body = error_body;
    return makeError(fmt::format("the Coral daemon at {} refused the event stream {}: {}", where,
                                 target, errorMessage(r)));
  }
  return okStatus();
}

}  // namespace

Client::Client(Endpoint endpoint, std::string bearer_token)
    : endpoint_(std::move(endpoint)),
      authorization_(bearer_token.empty() ? "" : "Bearer " + bearer_token) {}

std::string Client::describe() const {
  if (!endpoint_.unix_path.empty()) return endpoint_.unix_path;
  return fmt::format("http://{}:{}", endpoint_.host, endpoint_.port);
}

namespace {
Status noEndpoint() {
  return makeError("no Coral API endpoint is configured (neither a unix socket path nor "
                   "host:port); point the client at the cluster's api.sock or its TCP address");
}
}  // namespace

Result<Response> Client::request(const std::string& method, const std::string& target,
                                 const std::string& body, std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  auto deadline = Clock::now() + timeout;
  auto req = makeRequest(endpoint_, authorization_, method, target);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.set(http::field::accept, "application/json");
  req.prepare_payload();

  if (!endpoint_.unix_path.empty()) {
    Stream<unix_proto> stream(ioc);
    if (auto s = connectStream(ioc, stream, endpoint_, deadline, timeout); !s) return s.error();
    return exchange(ioc, stream, req, describe(), deadline, timeout);
  }
  if (endpoint_.host.empty() || endpoint_.port == 0) return noEndpoint().error();
  Stream<tcp> stream(ioc);
  if (auto s = connectStream(ioc, stream, endpoint_, deadline, timeout); !s) return s.error();
  return exchange(ioc, stream, req, describe(), deadline, timeout);
}

Status Client::streamEvents(
    const std::string& target,
    const std::function<bool(const std::string&, const std::string&)>& on_event) {
  asio::io_context ioc;
  auto deadline = Clock::now() + kStreamConnectTimeout;
  auto req = makeRequest(endpoint_, authorization_, "GET", target);
  req.set(http::field::accept, "text/event-stream");
  req.set(http::field::cache_control, "no-cache");
  req.prepare_payload();

  if (!endpoint_.unix_path.empty()) {
    Stream<unix_proto> stream(ioc);
    if (auto s = connectStream(ioc, stream, endpoint_, deadline, kStreamConnectTimeout); !s) {
      return s;
    }
    return readEvents(ioc, stream, req, describe(), deadline, on_event);
  }
  if (endpoint_.host.empty() || endpoint_.port == 0) return noEndpoint();
  Stream<tcp> stream(ioc);
  if (auto s = connectStream(ioc, stream, endpoint_, deadline, kStreamConnectTimeout); !s) {
    return s;
  }
  return readEvents(ioc, stream, req, describe(), deadline, on_event);
}

}  // namespace coral::api
