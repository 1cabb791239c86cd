#include "api/http.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace coral::api {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Request::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

Response jsonError(int status, const std::string& code, const std::string& message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  return jsonResponse(body, status);
}

Response jsonResponse(const nlohmann::json& body, int status) {
  Response r;
  r.status = status;
  // Replace invalid UTF-8 instead of throwing: error messages may quote
  // arbitrary bytes a client sent.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Result<nlohmann::json> parseJsonBody(const Request& request) {
  if (request.body.empty()) {
    return makeError("request body is not valid JSON: the body is empty");
  }
  try {
    return nlohmann::json::parse(request.body);
  } catch (const nlohmann::json::exception& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at ...";
    // the bracketed id means nothing to an API user.
    std::string what = e.what();
    if (!what.empty() && what[0] == '[') {
      auto close = what.find("] ");
      if (close != std::string::npos) what = what.substr(close + 2);
    }
    return makeError("request body is not valid JSON: " + what);
  }
}

std::string errorMessage(const Response& response) {
  if (response.status < 400) return "";
  auto parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
    const auto& error = parsed["error"];
    if (error.contains("message") && error["message"].is_string()) {
      return error["message"].get<std::string>();
    }
  }
  std::string start = response.body.substr(0, 200);
  while (!start.empty() && std::isspace(static_cast<unsigned char>(start.back()))) start.pop_back();
  if (start.empty()) return fmt::format("HTTP {}", response.status);
  return fmt::format("HTTP {}: {}", response.status, start);
}

std::string percentDecode(const std::string& text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = hexValue(text[i + 1]);
      int lo = hexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::map<std::string, std::string> parseQuery(const std::string& query) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string pair = query.substr(start, end - start);
    if (!pair.empty()) {
      std::size_t eq = pair.find('=');
      std::string key = percentDecode(pair.substr(0, eq), true);
      std::string value = eq == std::string::npos ? "" : percentDecode(pair.substr(eq + 1), true);
      out[key] = value;  // the last of repeated keys wins
    }
    start = end + 1;
  }
  return out;
}

}  // namespace coral::api
