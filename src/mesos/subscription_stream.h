// The SUBSCRIBE connection: sends the SUBSCRIBE request, then reads the
// never-ending chunked answer incrementally, de-frames RecordIO and decodes
// each record into an Event. Nothing else is ever written on it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "mesos/http_call.h"
#include "mesos/proto.h"

namespace coral::mesos {

class SubscriptionStream : public std::enable_shared_from_this<SubscriptionStream> {
 public:
  struct Handlers {
    // Once. A 200 head (status, Mesos-Stream-Id; events follow), a whole
    // non-200 answer with its body, or a connection failure.
    std::function<void(Result<SchedulerResponse>)> onResponse;
    // Each decoded event, in order. A record cut off by a disconnect is
    // never delivered.
    std::function<void(v1::scheduler::Event& event)> onEvent;
    // Once, only after a 200 head: why the stream ended (last chunk, EOF,
    // network error, undecodable record).
    std::function<void(const std::string& reason)> onEnded;
  };

  // `headerTimeout` bounds connect + request + response head; after that the
  // stream has no deadline (the heartbeat watchdog owns liveness).
  static std::shared_ptr<SubscriptionStream> open(boost::asio::io_context& io,
                                                  SchedulerRequest request, Duration headerTimeout,
                                                  Handlers handlers);

  // Closes the connection; no handler is called afterwards.
  void close();

  struct Impl;
  explicit SubscriptionStream(std::unique_ptr<Impl> impl);
  ~SubscriptionStream();

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace coral::mesos
