#include "mesos/http_call.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "mesos/http_request.h"

namespace coral::mesos {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string describeBody(const std::string& body) {
  std::string text = body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  if (text.empty()) return "(empty body)";
  if (text.size() > 512) text = text.substr(0, 512) + "...";
  return "\"" + text + "\"";
}

struct HttpCall::Impl {
  Impl(asio::io_context& io, SchedulerRequest req, Duration timeout, Callback cb)
      : resolver(io), stream(io), request(std::move(req)), timeout(timeout), done(std::move(cb)) {}

  tcp::resolver resolver;
  beast::tcp_stream stream;
  SchedulerRequest request;
  Duration timeout;
  Callback done;
  http::request<http::string_body> httpRequest;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> parser;
  bool finished = false;

  void finish(Result<SchedulerResponse> result) {
    if (finished) return;
    finished = true;
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    auto cb = std::move(done);
    if (cb) cb(std::move(result));
  }

  Error networkError(const std::string& step, const beast::error_code& ec) const {
    const std::string what = ec == beast::error::timeout
                                 ? "timed out after " + std::to_string(timeout.count()) + " ms"
                                 : ec.message();
    return makeError("scheduler call to master " + request.master.toString() + ": " + step +
                     " failed: " + what + "; the master may be down or unreachable");
  }
};

HttpCall::HttpCall(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpCall::~HttpCall() = default;

std::shared_ptr<HttpCall> HttpCall::start(asio::io_context& io, SchedulerRequest request,
                                          Duration timeout, Callback done) {
  auto call = std::make_shared<HttpCall>(
      std::make_unique<Impl>(io, std::move(request), timeout, std::move(done)));
  Impl& impl = *call->impl_;
  impl.httpRequest = makeSchedulerHttpRequest(impl.request);
  impl.parser.emplace();
  impl.parser->body_limit(4u << 20);
  impl.resolver.async_resolve(
      impl.request.master.host, std::to_string(impl.request.master.port),
      [call](const beast::error_code& ec, tcp::resolver::results_type results) {
        Impl& impl = *call->impl_;
        if (impl.finished) return;
        if (ec) return impl.finish(impl.networkError("resolving the host name", ec));
        impl.stream.expires_after(impl.timeout);
        impl.stream.async_connect(
            results, [call](const beast::error_code& ec, const tcp::endpoint&) {
              Impl& impl = *call->impl_;
              if (impl.finished) return;
              if (ec) return impl.finish(impl.networkError("connecting", ec));
              http::async_write(
                  impl.stream, impl.httpRequest, [call](const beast::error_code& ec, std::size_t) {
                    Impl& impl = *call->impl_;
                    if (impl.finished) return;
                    if (ec) return impl.finish(impl.networkError("sending the request", ec));
                    http::async_read(
                        impl.stream, impl.buffer, *impl.parser,
                        [call](const beast::error_code& ec, std::size_t) {
                          Impl& impl = *call->impl_;
                          if (impl.finished) return;
                          if (ec) return impl.finish(impl.networkError("reading the answer", ec));
                          auto& message = impl.parser->get();
                          SchedulerResponse response;
                          response.status = message.result_int();
                          response.body = std::move(message.body());
                          response.location = std::string(message[http::field::location]);
                          response.contentType = std::string(message[http::field::content_type]);
                          response.streamId = std::string(message["Mesos-Stream-Id"]);
                          impl.finish(std::move(response));
                        });
                  });
            });
      });
  return call;
}

void HttpCall::cancel() {
  if (impl_->finished) return;
  impl_->done = nullptr;
  impl_->finished = true;
  impl_->resolver.cancel();
  beast::error_code ignored;
  impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  impl_->stream.close();
}

}  // namespace coral::mesos
