#include "mesos/subscription_stream.h"

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

#include "mesos/http_request.h"
#include "mesos/recordio.h"

namespace coral::mesos {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct SubscriptionStream::Impl {
  Impl(asio::io_context& io, SchedulerRequest req, Duration timeout, Handlers h)
      : resolver(io),
        stream(io),
        request(std::move(req)),
        headerTimeout(timeout),
        handlers(std::move(h)) {}

  tcp::resolver resolver;
  beast::tcp_stream stream;
  SchedulerRequest request;
  Duration headerTimeout;
  Handlers handlers;
  http::request<http::string_body> httpRequest;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::buffer_body>> parser;
  std::array<char, 64 * 1024> chunk{};
  std::string errorBody;  // body of a non-200 answer
  RecordIoDecoder decoder;
  bool streaming = false;  // a 200 head was delivered
  bool closed = false;
  std::size_t events = 0;

  std::string where() const { return "subscription to master " + request.master.toString(); }

  void shutdown() {
    closed = true;
    resolver.cancel();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
  }

  void respond(Result<SchedulerResponse> result) {
    if (closed) return;
    const bool ok = result.ok() && result->status == 200;
    if (!ok) shutdown();
    if (handlers.onResponse) handlers.onResponse(std::move(result));
  }

  void end(const std::string& reason) {
    if (closed) return;
    shutdown();
    if (handlers.onEnded) handlers.onEnded(reason);
  }

  Error networkError(const std::string& step, const beast::error_code& ec) const {
    const std::string what =
        ec == beast::error::timeout
            ? "timed out after " + std::to_string(headerTimeout.count()) + " ms"
            : ec.message();
    return makeError(where() + ": " + step + " failed: " + what +
                     "; the master may be down or unreachable");
  }

  // Feeds body bytes to RecordIO and hands out events. Returns false when the
  // stream must end (closed by a handler or corrupt).
  bool consume(std::string_view bytes, std::string* failure) {
    bool keepGoing = true;
    const Status status = decoder.feed(bytes, [&](std::string_view record) {
      if (!keepGoing || closed) return;
      v1::scheduler::Event event;
      if (auto decoded = decodeEvent(record, request.contentType, &event); !decoded) {
        *failure =
            "event #" + std::to_string(events + 1) + " could not be decoded: " + decoded.message();
        keepGoing = false;
        return;
      }
      ++events;
      if (handlers.onEvent) handlers.onEvent(event);
    });
    if (!status) {
      *failure = status.message();
      return false;
    }
    return keepGoing && !closed;
  }
};

SubscriptionStream::SubscriptionStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SubscriptionStream::~SubscriptionStream() = default;

namespace {

void readBody(std::shared_ptr<SubscriptionStream> self, SubscriptionStream::Impl& impl);

void deliverErrorResponse(SubscriptionStream::Impl& impl) {
  auto& message = impl.parser->get();
  SchedulerResponse response;
  response.status = message.result_int();
  response.body = impl.errorBody;
  response.location = std::string(message[http::field::location]);
  response.contentType = std::string(message[http::field::content_type]);
  impl.respond(std::move(response));
}

void readErrorBody(std::shared_ptr<SubscriptionStream> self, SubscriptionStream::Impl& impl) {
  // A body-less answer (307, 401) is complete with its head; reading more
  // would wait for a next response on a keep-alive connection.
  if (impl.parser->is_done()) return deliverErrorResponse(impl);
  auto& body = impl.parser->get().body();
  body.data = impl.chunk.data();
  body.size = impl.chunk.size();
  http::async_read_some(impl.stream, impl.buffer, *impl.parser,
                        [self, &impl](beast::error_code ec, std::size_t) {
                          if (impl.closed) return;
                          auto& message = impl.parser->get();
                          const std::size_t got = impl.chunk.size() - message.body().size;
                          if (impl.errorBody.size() < (64u << 10))
                            impl.errorBody.append(impl.chunk.data(), got);
                          if (ec == http::error::need_buffer) ec = {};
                          if (!ec && !impl.parser->is_done()) return readErrorBody(self, impl);
                          deliverErrorResponse(impl);
                        });
}

void readBody(std::shared_ptr<SubscriptionStream> self, SubscriptionStream::Impl& impl) {
  auto& body = impl.parser->get().body();
  body.data = impl.chunk.data();
  body.size = impl.chunk.size();
  http::async_read_some(
      impl.stream, impl.buffer, *impl.parser, [self, &impl](beast::error_code ec, std::size_t) {
        if (impl.closed) return;
        const std::size_t got = impl.chunk.size() - impl.parser->get().body().size;
        std::string failure;
        if (got > 0 && !impl.consume(std::string_view(impl.chunk.data(), got), &failure)) {
          if (!failure.empty()) impl.end(impl.where() + ": " + failure);
          return;
        }
        if (ec == http::error::need_buffer) ec = {};
        const std::string partial =
            impl.decoder.midRecord() ? " inside a record (the partial event was dropped)" : "";
        if (ec) {
          const std::string what = ec == http::error::end_of_stream || ec == asio::error::eof ||
                                           ec == http::error::partial_message
                                       ? "the master closed the connection"
                                       : ec.message();
          return impl.end(impl.where() + " ended: " + what + partial);
        }
        if (impl.parser->is_done()) {
          // Real masters end the chunked body (failover, teardown) but keep the
          // TCP connection open: the last chunk is the end.
          return impl.end(impl.where() + " ended: the master finished the response" + partial);
        }
        readBody(self, impl);
      });
}

}  // namespace

std::shared_ptr<SubscriptionStream> SubscriptionStream::open(asio::io_context& io,
                                                             SchedulerRequest request,
                                                             Duration headerTimeout,
                                                             Handlers handlers) {
  auto self = std::make_shared<SubscriptionStream>(
      std::make_unique<Impl>(io, std::move(request), headerTimeout, std::move(handlers)));
  Impl& impl = *self->impl_;
  impl.request.streamId.reset();  // a SUBSCRIBE with Mesos-Stream-Id gets 400
  impl.httpRequest = makeSchedulerHttpRequest(impl.request);
  impl.parser.emplace();
  impl.parser->body_limit(boost::none);  // the stream never ends
  impl.resolver.async_resolve(
      impl.request.master.host, std::to_string(impl.request.master.port),
      [self](const beast::error_code& ec, tcp::resolver::results_type results) {
        Impl& impl = *self->impl_;
        if (impl.closed) return;
        if (ec) return impl.respond(impl.networkError("resolving the host name", ec));
        impl.stream.expires_after(impl.headerTimeout);
        impl.stream.async_connect(results, [self](const beast::error_code& ec,
                                                  const tcp::endpoint&) {
          Impl& impl = *self->impl_;
          if (impl.closed) return;
          if (ec) return impl.respond(impl.networkError("connecting", ec));
          http::async_write(
              impl.stream, impl.httpRequest, [self](const beast::error_code& ec, std::size_t) {
                Impl& impl = *self->impl_;
                if (impl.closed) return;
                if (ec) return impl.respond(impl.networkError("sending SUBSCRIBE", ec));
                http::async_read_header(
                    impl.stream, impl.buffer, *impl.parser,
                    [self](const beast::error_code& ec, std::size_t) {
                      Impl& impl = *self->impl_;
                      if (impl.closed) return;
                      if (ec)
                        return impl.respond(
                            impl.networkError("reading the answer to SUBSCRIBE", ec));
                      auto& message = impl.parser->get();
                      if (message.result_int() != 200) {
                        // Read the (short, text/plain) error body for the message.
                        return readErrorBody(self, impl);
                      }
                      impl.stream.expires_never();
                      const std::string contentType(message[http::field::content_type]);
                      const auto type = contentTypeFromMediaType(contentType);
                      if (!type || *type != impl.request.contentType) {
                        return impl.respond(makeError(
                            impl.where() + ": the event stream has Content-Type '" + contentType +
                            "', expected '" + std::string(mediaType(impl.request.contentType)) +
                            "'; is this a Mesos master?"));
                      }
                      SchedulerResponse head;
                      head.status = 200;
                      head.contentType = contentType;
                      head.streamId = std::string(message["Mesos-Stream-Id"]);
                      if (head.streamId.empty()) {
                        return impl.respond(
                            makeError(impl.where() +
                                      ": the SUBSCRIBE answer has no Mesos-Stream-Id header, so no "
                                      "call could be sent; is this a Mesos >= 1.0 master?"));
                      }
                      impl.streaming = true;
                      impl.respond(std::move(head));
                      if (impl.closed) return;
                      readBody(self, impl);
                    });
              });
        });
      });
  return self;
}

void SubscriptionStream::close() {
  if (impl_->closed) return;
  impl_->shutdown();
}

}  // namespace coral::mesos
