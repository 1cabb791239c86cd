#include "local/readiness.h"

#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace coral::local {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Between attempts: short, because readiness is on the critical path of `up`.
constexpr auto kPollInterval = std::chrono::milliseconds(50);

}  // namespace

Result<HttpAnswer> httpGet(const std::string& host, int port, const std::string& target,
                           const std::string& token, std::chrono::milliseconds timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(timeout);
  beast::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address(host, ec), static_cast<unsigned short>(port));
  if (ec) return makeError(fmt::format("bad address {}: {}", host, ec.message()));
  stream.connect(endpoint, ec);
  if (ec) return makeError(fmt::format("connect {}:{}: {}", host, port, ec.message()));
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, fmt::format("{}:{}", host, port));
  if (!token.empty()) request.set(http::field::authorization, "token " + token);
  http::write(stream, request, ec);
  if (ec) return makeError(fmt::format("GET {} on {}:{}: {}", target, host, port, ec.message()));
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response, ec);
  if (ec) return makeError(fmt::format("GET {} on {}:{}: {}", target, host, port, ec.message()));
  return HttpAnswer{static_cast<int>(response.result_int()), response.body()};
}

Status waitForTcp(const std::string& host, int port, std::chrono::milliseconds timeout,
                  const Cancelled& cancelled) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last = "no attempt";
  while (std::chrono::steady_clock::now() < deadline) {
    if (cancelled && cancelled()) return makeError("cancelled");
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(500));
    beast::error_code ec;
    stream.connect(tcp::endpoint(asio::ip::make_address(host, ec), static_cast<unsigned short>(port)),
                   ec);
    if (!ec) return okStatus();
    last = ec.message();
    std::this_thread::sleep_for(kPollInterval);
  }
  return makeError(fmt::format("nothing accepted connections on {}:{} within {} s (last: {})",
                               host, port, timeout.count() / 1000, last));
}

Status waitForAuthenticatedHttp(const std::string& host, int port, const std::string& target,
                                const std::string& token, std::chrono::milliseconds timeout,
                                const Cancelled& cancelled) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last = "no answer";
  while (std::chrono::steady_clock::now() < deadline) {
    if (cancelled && cancelled()) return makeError("cancelled");
    auto with_token = httpGet(host, port, target, token, std::chrono::milliseconds(2000));
    if (with_token && with_token->status == 200) {
      auto without = httpGet(host, port, target, "", std::chrono::milliseconds(2000));
      if (without && (without->status == 403 || without->status == 401)) return okStatus();
      last = without ? fmt::format("answered {} without the token, expected 403", without->status)
                     : without.message();
    } else {
      last = with_token ? fmt::format("answered {}", with_token->status) : with_token.message();
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return makeError(fmt::format("http://{}:{}{} was not ready within {} s: {}", host, port, target,
                               timeout.count() / 1000, last));
}

}  // namespace coral::local
