// One HTTP request to /api/v1/scheduler on a connection of its own, as the
// API requires for every call except SUBSCRIBE. Runs on the caller's
// io_context; the callback runs there exactly once (unless cancelled).
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "mesos/codec.h"
#include "mesos/master_address.h"
#include "mesos/timer.h"

namespace coral::mesos {

struct SchedulerRequest {
  Endpoint master;
  std::string body;                                  // encoded Call
  ContentType contentType = ContentType::kProtobuf;  // of the body and of Accept
  std::optional<std::string> streamId;               // never on SUBSCRIBE
  std::optional<std::string> authorization;          // "Basic ..."
};

struct SchedulerResponse {
  unsigned status = 0;
  std::string body;      // error text (text/plain) for 4xx/5xx; empty for 202
  std::string location;  // 307: "//leader:port/api/v1/scheduler"
  std::string contentType;
  std::string streamId;  // SUBSCRIBE 200: Mesos-Stream-Id
};

// Trims the body of an error answer for use in a message ("" -> "(empty body)").
std::string describeBody(const std::string& body);

class HttpCall : public std::enable_shared_from_this<HttpCall> {
 public:
  using Callback = std::function<void(Result<SchedulerResponse>)>;

  // Connects, sends, reads the whole answer (at most 4 MiB) and closes.
  // `timeout` covers the whole exchange (the docs suggest ~75 s).
  static std::shared_ptr<HttpCall> start(boost::asio::io_context& io, SchedulerRequest request,
                                         Duration timeout, Callback done);

  // Aborts; the callback is not called.
  void cancel();

  struct Impl;
  explicit HttpCall(std::unique_ptr<Impl> impl);
  ~HttpCall();

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace coral::mesos
