#include "docker/http_transport.h"

#include <fmt/format.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

namespace coral::docker {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Protocol = net::local::stream_protocol;
using Stream = beast::basic_stream<Protocol>;

std::string describeDuration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return fmt::format("{} s", d.count() / 1000);
  return fmt::format("{} ms", d.count());
}

std::string connectFailure(const std::string& path, const beast::error_code& ec) {
  const std::string start_hint = "start it (`dockerd &`) or run `make up`, which starts it";
  if (ec == net::error::connection_refused) {
    return fmt::format("cannot reach the Docker daemon at {}: connection refused; {}", path,
                       start_hint);
  }
  if (ec == beast::errc::no_such_file_or_directory) {
    return fmt::format("cannot reach the Docker daemon at {}: the socket does not exist; {}", path,
                       start_hint);
  }
  if (ec == beast::errc::permission_denied) {
    return fmt::format(
        "cannot reach the Docker daemon at {}: permission denied; run Coral as root or add the "
        "user to the `docker` group",
        path);
  }
  return fmt::format("cannot reach the Docker daemon at {}: {}; {}", path, ec.message(),
                     start_hint);
}

// One request/response exchange on its own io_context and connection. Each
// asynchronous step is run to completion before the next, which gives
// blocking semantics plus basic_stream's deadline and a way to interrupt.
class Exchange {
 public:
  Exchange(const std::string& socket_path, const HttpRequest& request)
      : socket_path_(socket_path), request_(request), stream_(ioc_) {
    if (request.timeout.count() > 0) {
      stream_.expires_after(request.timeout);
    } else {
      stream_.expires_never();
    }
  }

  Result<HttpResponse> run(const BodySink* sink, CancelSignal* cancel) {
    CancelSignal::Registration registration(
        cancel, [this] { net::post(ioc_, [this] { stream_.close(); }); });
    if (!registration.active()) return stopped();
    cancel_ = cancel;

    if (!request_.body_file.empty()) {
      beast::error_code ec;
      file_body_.open(request_.body_file.c_str(), beast::file_mode::scan, ec);
      if (ec) {
        return makeError(
            fmt::format("cannot read {} to send it to the Docker daemon: {}; check "
                        "the path and its permissions",
                        request_.body_file, ec.message()));
      }
    }

    auto ec = await([&](auto handler) {
      stream_.async_connect(Protocol::endpoint(socket_path_), std::move(handler));
    });
    if (cancelled()) return stopped();
    if (ec == beast::error::timeout) return timeoutError();
    if (ec) return makeError(connectFailure(socket_path_, ec));

    beast::error_code write_error =
        request_.body_file.empty() ? writeStringBody() : writeFileBody();
    if (cancelled()) return stopped();
    if (write_error == beast::error::timeout) return timeoutError();
    if (write_error) {
      // The daemon may have rejected the request and closed early (e.g. a bad
      // tarball); its response explains why better than "broken pipe" does.
      auto response = readResponse(sink);
      if (response.ok()) return response;
      return makeError(lostConnection(write_error));
    }
    return readResponse(sink);
  }

 private:
  template <typename Initiate>
  beast::error_code await(Initiate&& initiate) {
    beast::error_code result;
    initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  template <typename Body>
  void fillHeaders(http::request<Body>& message) {
    message.method_string(request_.method);
    message.target(request_.target);
    message.version(11);
    message.set(http::field::host, "localhost");
    message.set(http::field::user_agent, "coral");
    message.keep_alive(false);
  }

  beast::error_code writeStringBody() {
    http::request<http::string_body> message;
    fillHeaders(message);
    if (!request_.body.empty()) {
      message.set(http::field::content_type,
                  request_.content_type.empty() ? "application/json" : request_.content_type);
      message.body() = request_.body;
    }
    message.prepare_payload();
    return await([&](auto handler) { http::async_write(stream_, message, std::move(handler)); });
  }

  beast::error_code writeFileBody() {
    http::request<http::file_body> message;
    fillHeaders(message);
    message.body() = std::move(file_body_);
    message.set(http::field::content_type,
                request_.content_type.empty() ? "application/octet-stream" : request_.content_type);
    message.prepare_payload();
    return await([&](auto handler) { http::async_write(stream_, message, std::move(handler)); });
  }

  Result<HttpResponse> readResponse(const BodySink* sink) {
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    // Logs and event streams have no natural bound. (Not boost::none: Boost
    // 1.74 compares a Content-Length against an empty limit and rejects it.)
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());

    auto ec = await([&](auto handler) {
      http::async_read_header(stream_, buffer, parser, std::move(handler));
    });
    if (cancelled()) return stopped();
    if (ec == beast::error::timeout) return timeoutError();
    if (ec) return makeError(lostConnection(ec));

    HttpResponse response;
    response.status = static_cast<int>(parser.get().result_int());
    response.content_type = std::string(parser.get()[http::field::content_type]);
    const bool to_sink = sink != nullptr && response.status / 100 == 2;

    std::array<char, 64 * 1024> chunk;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      ec = await([&](auto handler) {
        http::async_read_some(stream_, buffer, parser, std::move(handler));
      });
      if (ec == http::error::need_buffer) ec = {};
      const size_t received = chunk.size() - parser.get().body().size;
      if (received > 0) {
        std::string_view bytes(chunk.data(), received);
        if (!to_sink) {
          response.body.append(bytes);
        } else if (!(*sink)(bytes)) {
          response.stopped_early = true;
          return response;
        }
      }
      if (cancelled()) {
        response.stopped_early = true;
        return response;
      }
      if (ec == beast::error::timeout) return timeoutError();
      if (ec) return makeError(lostConnection(ec));
    }
    return response;
  }

  bool cancelled() const { return cancel_ != nullptr && cancel_->cancelled(); }

  Result<HttpResponse> stopped() const {
    HttpResponse response;
    response.stopped_early = true;
    return response;
  }

  Error timeoutError() const {
    return makeError(fmt::format(
        "the Docker daemon at {} did not answer {} {} within {}; it may be overloaded or hung — "
        "check it with `docker info` and restart it (`make up`) if it does not respond",
        socket_path_, request_.method, request_.target, describeDuration(request_.timeout)));
  }

  std::string lostConnection(const beast::error_code& ec) const {
    return fmt::format(
        "lost the connection to the Docker daemon at {} during {} {}: {}; check that dockerd is "
        "still running (`make up` restarts it)",
        socket_path_, request_.method, request_.target, ec.message());
  }

  const std::string& socket_path_;
  const HttpRequest& request_;
  CancelSignal* cancel_ = nullptr;
  http::file_body::value_type file_body_;
  net::io_context ioc_;
  Stream stream_;
};

}  // namespace

UnixHttpTransport::UnixHttpTransport(std::string socket_path)
    : socket_path_(std::move(socket_path)) {}

Result<HttpResponse> UnixHttpTransport::roundTrip(const HttpRequest& request) const {
  Exchange exchange(socket_path_, request);
  return exchange.run(nullptr, nullptr);
}

Result<HttpResponse> UnixHttpTransport::stream(const HttpRequest& request, const BodySink& sink,
                                               CancelSignal* cancel) const {
  Exchange exchange(socket_path_, request);
  return exchange.run(&sink, cancel);
}

}  // namespace coral::docker
