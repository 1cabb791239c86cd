// Plain HTTP request/response values shared by the API server and client,
// plus the JSON conventions of Coral's management API:
//   - bodies are JSON unless a handler says otherwise;
//   - every error body is {"error": {"code": "...", "message": "..."}}, where
//     the message names the thing, the cause and the fix.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace coral::api {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target: "/v1/nodes/a%20b/logs?tail=10"
  std::string path;    // target without the query, still percent-encoded
  std::map<std::string, std::string> query;   // decoded ("+" is a space)
  std::map<std::string, std::string> params;  // decoded, from {name} in the route
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string peer;  // "unix" or "ip:port"

  // Case-insensitive header lookup; "" when absent.
  std::string header(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers. On responses the Client returns, names are lower-cased
  // and Content-Type is also here.
  std::map<std::string, std::string> headers;
};

// {"error": {"code": code, "message": message}} with the given status.
Response jsonError(int status, const std::string& code, const std::string& message);

// A JSON body (serialized compactly) with the given status.
Response jsonResponse(const nlohmann::json& body, int status = 200);

// Parses a request body as JSON. The error message is
// "request body is not valid JSON: <what>" (see also jsonBodyOrReply in
// server.h, which answers 400 "bad_request" with it).
Result<nlohmann::json> parseJsonBody(const Request& request);

// For a response with an error status: the API's error.message when the body
// has one, else "HTTP <status>: <start of the body>". "" for 1xx-3xx.
std::string errorMessage(const Response& response);

// Percent-decoding ("+" becomes a space only when plus_is_space) and the
// query-string parser the server uses; exposed for tests and the client.
std::string percentDecode(const std::string& text, bool plus_is_space);
std::map<std::string, std::string> parseQuery(const std::string& query);

}  // namespace coral::api
