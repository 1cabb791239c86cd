#include "jupyter_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace coral::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

// Connects and upgrades to Jupyter's websocket at `target`, with the token.
void openWebsocket(websocket::stream<beast::tcp_stream>& ws, const std::string& host, int port,
                   const std::string& token, const std::string& target,
                   std::chrono::seconds timeout, beast::error_code& ec) {
  beast::get_lowest_layer(ws).expires_after(timeout);
  beast::get_lowest_layer(ws).connect(
      tcp::endpoint(asio::ip::make_address(host), static_cast<unsigned short>(port)), ec);
  if (ec) return;
  ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
    req.set(http::field::authorization, "token " + token);
  }));
  ws.handshake(fmt::format("{}:{}", host, port), target, ec);
}

}  // namespace

Result<HttpReply> httpRequest(const std::string& host, int port, const std::string& method,
                              const std::string& target, const std::string& token,
                              const std::string& body) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(20));
  beast::error_code ec;
  stream.connect(tcp::endpoint(asio::ip::make_address(host), static_cast<unsigned short>(port)), ec);
  if (ec) return makeError(fmt::format("connect {}:{}: {}", host, port, ec.message()));
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, fmt::format("{}:{}", host, port));
  if (!token.empty()) request.set(http::field::authorization, "token " + token);
  if (!body.empty()) {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.prepare_payload();
  http::write(stream, request, ec);
  if (ec) return makeError(ec.message());
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response, ec);
  if (ec) return makeError(ec.message());
  return HttpReply{static_cast<int>(response.result_int()), response.body()};
}

Result<ExecutionResult> runInKernel(const std::string& host, int port, const std::string& token,
                                    const std::string& code, std::chrono::seconds timeout) {
  auto created = httpRequest(host, port, "POST", "/api/kernels", token, R"({"name":"python3"})");
  if (!created) return created.error();
  if (created->status != 201) {
    return makeError(fmt::format("POST /api/kernels answered {}: {}", created->status, created->body));
  }
  const std::string kernel = nlohmann::json::parse(created->body).at("id");

  ExecutionResult result;
  std::string failure;
  {
    asio::io_context io;
    websocket::stream<beast::tcp_stream> ws(io);
    beast::error_code ec;
    openWebsocket(ws, host, port, token, "/api/kernels/" + kernel + "/channels", timeout, ec);
    if (!ec) {
      const std::string msg_id = "coral-test-1";
      nlohmann::json request = {
          {"header",
           {{"msg_id", msg_id}, {"session", "coral-test"}, {"username", "coral"},
            {"msg_type", "execute_request"}, {"version", "5.3"}, {"date", "2026-01-01T00:00:00Z"}}},
          {"parent_header", nlohmann::json::object()},
          {"metadata", nlohmann::json::object()},
          {"channel", "shell"},
          {"content",
           {{"code", code}, {"silent", false}, {"store_history", false},
            {"user_expressions", nlohmann::json::object()}, {"allow_stdin", false},
            {"stop_on_error", true}}}};
      ws.text(true);
      ws.write(asio::buffer(request.dump()), ec);
      bool replied = false, idle = false;
      while (!ec && !(replied && idle)) {
        beast::flat_buffer buffer;
        ws.read(buffer, ec);
        if (ec) break;
        auto message = nlohmann::json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
        if (!message.is_object()) continue;
        if (message["parent_header"].value("msg_id", "") != msg_id) continue;
        const std::string type = message["header"].value("msg_type", "");
        const auto& content = message["content"];
        if (type == "execute_result") {
          result.text += content["data"].value("text/plain", "");
        } else if (type == "stream") {
          result.text += content.value("text", "");
        } else if (type == "error") {
          result.text += content.value("ename", "") + ": " + content.value("evalue", "");
        } else if (type == "execute_reply") {
          result.status = content.value("status", "");
          replied = true;
        } else if (type == "status" && content.value("execution_state", "") == "idle") {
          idle = true;
        }
      }
      ws.close(websocket::close_code::normal, ec);
    }
    if (ec && result.status.empty()) failure = "kernel websocket: " + ec.message();
  }
  (void)httpRequest(host, port, "DELETE", "/api/kernels/" + kernel, token);
  if (!failure.empty()) return makeError(failure);
  return result;
}

Result<std::string> runInTerminal(const std::string& host, int port, const std::string& token,
                                  const std::string& line, const std::string& until,
                                  std::chrono::seconds timeout) {
  auto created = httpRequest(host, port, "POST", "/api/terminals", token, "{}");
  if (!created) return created.error();
  if (created->status != 200) {
    return makeError(fmt::format("POST /api/terminals answered {}: {} (terminals disabled?)",
                                 created->status, created->body));
  }
  const std::string name = nlohmann::json::parse(created->body).at("name");

  std::string output;
  std::string failure;
  {
    asio::io_context io;
    websocket::stream<beast::tcp_stream> ws(io);
    beast::error_code ec;
    openWebsocket(ws, host, port, token, "/terminals/websocket/" + name, timeout, ec);
    if (!ec) {
      // terminado's protocol: JSON arrays, ["stdin", text] in, ["stdout", text] out.
      ws.text(true);
      ws.write(asio::buffer(nlohmann::json::array({"stdin", line + "\r"}).dump()), ec);
      while (!ec && output.find(until) == std::string::npos) {
        beast::flat_buffer buffer;
        ws.read(buffer, ec);
        if (ec) break;
        auto message = nlohmann::json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
        if (message.is_array() && message.size() == 2 && message[0] == "stdout" && message[1].is_string()) {
          output += message[1].get<std::string>();
        }
      }
      ws.close(websocket::close_code::normal, ec);
    }
    if (output.find(until) == std::string::npos) {
      failure = fmt::format("terminal {}: no \"{}\" in its output ({}): {}", name, until,
                            ec ? ec.message() : "closed", output);
    }
  }
  (void)httpRequest(host, port, "DELETE", "/api/terminals/" + name, token);
  if (!failure.empty()) return makeError(failure);
  return output;
}

}  // namespace coral::testing
