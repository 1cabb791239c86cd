// A synchronous client for Coral's management API, for the CLI and tests:
// one connection per call, over the daemon's unix socket or TCP.
//
//   api::Client client({.unix_path = state_dir + "/api.sock"}, token);
//   auto r = client.request("GET", "/v1/nodes");
//   if (!r) return r.error();              // could not talk to the daemon
//   if (r->status >= 400) ... api::errorMessage(*r) ...
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "api/http.h"
#include "core/result.h"

namespace coral::api {

struct Endpoint {
  // Default member initializers let callers write Endpoint{.unix_path = p}
  // without -Wmissing-field-initializers warnings.
  std::string unix_path{};  // used when set
  std::string host{};       // else host:port over TCP
  uint16_t port = 0;
};

class Client {
 public:
  Client(Endpoint endpoint, std::string bearer_token);

  // An error only when no HTTP response was received (cannot connect,
  // timeout, connection lost); an HTTP error status is a Response. A non-empty
  // body is sent as application/json.
  Result<Response> request(const std::string& method, const std::string& target,
                           const std::string& body = "",
                           std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Reads the Server-Sent Events stream at `target`, calling
  // on_event(event, data) per event ("message" when the event has no name;
  // data lines joined by "\n") until on_event returns false (then OK) or the
  // server ends the stream (OK). A non-200 answer is an error quoting the
  // API's message. No timeout once the stream is open.
  Status streamEvents(const std::string& target,
                      const std::function<bool(const std::string&, const std::string&)>& on_event);

  // Replaces "Bearer <token>" with another Authorization value (e.g. "Basic …"
  // for a Mesos agent).
  void setAuthorization(std::string value) { authorization_ = std::move(value); }

  // The socket path, or "http://host:port", as used in messages.
  std::string describe() const;

 private:
  Endpoint endpoint_;
  std::string authorization_;  // the Authorization header; "" sends none
};

}  // namespace coral::api
