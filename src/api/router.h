// Maps (method, path) to a handler. Patterns are literal segments and
// {name} segments that capture one non-empty path segment:
//   router.add("POST", "/v1/nodes/{name}/restart", handler);
// When several patterns match a path, the most specific wins: at the first
// segment where they differ, a literal beats a {param}.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/http.h"

namespace coral::api {

class Responder;  // server.h

// Runs on the io_context thread. Reply through the Responder, now or later
// from any thread. The Request is only valid during the call: copy what a
// later reply needs.
using Handler = std::function<void(const Request&, Responder)>;

class Router {
 public:
  // A malformed pattern (not starting with "/", an empty or repeated {name})
  // is a programming error: it is logged to stderr and the route ignored.
  // Adding the same method and pattern twice replaces the handler.
  void add(std::string method, std::string pattern, Handler handler);

  struct Match {
    int status = 404;  // 200, 404 (no pattern matches), 405 (no method)
    const Handler* handler = nullptr;  // set when status == 200
    std::string pattern;  // the matched pattern (also for 405), else ""
    std::map<std::string, std::string> params;  // decoded
    std::string allow;  // for 405: "GET, POST"
  };
  // `path` is the still percent-encoded path; params are decoded after
  // splitting, so "%2F" inside a {name} does not split it.
  Match match(const std::string& method, const std::string& path) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" kept as is
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace coral::api
