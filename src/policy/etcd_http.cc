#include "policy/etcd_http.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <regex>

namespace coral::policy::etcd {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct Endpoint {
  std::string host;
  std::string port;
};

Result<Endpoint> parseUrl(const std::string& url) {
  static const std::regex kUrl(R"(^http://([^/:]+|\[[^\]]+\]):([0-9]{1,5})/?$)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) {
    return makeError(
        fmt::format("etcd URL \"{}\" is not of the form http://host:port (TLS is not "
                    "supported; use a plain-HTTP client URL such as http://127.0.0.1:2379)",
                    url));
  }
  std::string host = m[1].str();
  if (host.front() == '[') host = host.substr(1, host.size() - 2);
  return Endpoint{host, m[2].str()};
}

// The next key after every key that starts with `prefix` (etcd's range_end).
std::string prefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    unsigned char last = static_cast<unsigned char>(prefix.back());
    if (last < 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // whole key space
}

}  // namespace

std::string base64Encode(const std::string& bytes) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

Result<std::string> base64Decode(const std::string& text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const char* at = std::strchr(kAlphabet, c);
    if (c == '\0' || at == nullptr)
      return makeError("etcd answered with a value that is not base64");
    buffer = (buffer << 6) | uint32_t(at - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

Client::Client(std::string url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout) {}

Result<nlohmann::json> Client::call(const std::string& path, const nlohmann::json& body) const {
  auto endpoint = parseUrl(url_);
  if (!endpoint) return endpoint.error();

  // Asynchronous operations driven to completion one at a time: Beast's
  // timeouts apply only to asynchronous operations.
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  auto unreachable = [&](const std::string& what) {
    return makeError(
        fmt::format("cannot {} etcd at {}: {} (check that etcd is running and that the URL "
                    "is its client URL)",
                    what, url_, ec.message()));
  };

  tcp::resolver resolver(io);
  auto addresses = resolver.resolve(endpoint->host, endpoint->port, ec);
  if (ec) return unreachable("resolve");
  stream.expires_after(timeout_);
  stream.async_connect(addresses, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  io.run();
  if (ec) return unreachable("connect to");

  http::request<http::string_body> request{http::verb::post, path, 11};
  request.set(http::field::host, endpoint->host);
  request.set(http::field::content_type, "application/json");
  request.body() = body.dump();
  request.prepare_payload();
  http::response<http::string_body> response;
  beast::flat_buffer buffer;

  io.restart();
  stream.expires_after(timeout_);
  http::async_write(stream, request, [&](beast::error_code e, size_t) { ec = e; });
  io.run();
  if (ec) return unreachable("send a request to");
  io.restart();
  stream.expires_after(timeout_);
  http::async_read(stream, buffer, response, [&](beast::error_code e, size_t) { ec = e; });
  io.run();
  if (ec) return unreachable("read the answer of");
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);

  auto answer = nlohmann::json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
  if (response.result() != http::status::ok) {
    std::string detail = response.body();
    if (answer.is_object() && answer.contains("message"))
      detail = answer["message"].get<std::string>();
    if (answer.is_object() && answer.contains("error")) detail = answer["error"].dump();
    return makeError(
        fmt::format("etcd at {} refused POST {}: HTTP {}: {} (an etcd older than 3.4 serves "
                    "the JSON gateway under /v3beta; use etcd 3.4 or newer)",
                    url_, path, response.result_int(), detail));
  }
  if (answer.is_discarded()) {
    return makeError(
        fmt::format("etcd at {} answered POST {} with something that is not JSON (is the URL "
                    "an etcd client URL?)",
                    url_, path));
  }
  return answer;
}

Result<std::vector<KeyValue>> Client::rangePrefix(const std::string& prefix) const {
  auto answer = call("/v3/kv/range", {{"key", base64Encode(prefix)},
                                      {"range_end", base64Encode(prefixEnd(prefix))}});
  if (!answer) return answer.error();
  std::vector<KeyValue> result;
  for (const auto& kv : answer->value("kvs", nlohmann::json::array())) {
    auto key = base64Decode(kv.value("key", ""));
    auto value = base64Decode(kv.value("value", ""));
    if (!key) return key.error();
    if (!value) return value.error();
    result.push_back({*key, *value});
  }
  return result;
}

Status Client::commit(const std::vector<KeyValue>& puts,
                      const std::vector<std::string>& deletes) const {
  nlohmann::json success = nlohmann::json::array();
  for (const auto& key : deletes)
    success.push_back({{"request_delete_range", {{"key", base64Encode(key)}}}});
  for (const auto& kv : puts) {
    success.push_back(
        {{"request_put", {{"key", base64Encode(kv.key)}, {"value", base64Encode(kv.value)}}}});
  }
  if (success.empty()) return okStatus();
  auto answer = call("/v3/kv/txn", {{"compare", nlohmann::json::array()}, {"success", success}});
  if (!answer) return answer.error();
  return okStatus();
}

}  // namespace coral::policy::etcd
