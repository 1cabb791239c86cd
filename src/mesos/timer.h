// One-shot timers behind an interface, so the reconnect backoff and the
// heartbeat watchdog run on the caller's io_context in production and on a
// scaled or recording clock in tests. Callbacks always run on the loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace coral::mesos {

using Duration = std::chrono::milliseconds;

class Timer {
 public:
  virtual ~Timer() = default;  // cancels
  // (Re)arms the timer; an earlier pending callback is dropped.
  virtual void start(Duration delay, std::function<void()> onExpiry) = 0;
  // Drops the pending callback, if any. Safe to call from inside it.
  virtual void cancel() = 0;
};

class TimerFactory {
 public:
  virtual ~TimerFactory() = default;
  virtual std::unique_ptr<Timer> makeTimer() = 0;
};

// Real timers on an asio::io_context (steady clock).
class AsioTimerFactory final : public TimerFactory {
 public:
  explicit AsioTimerFactory(boost::asio::io_context& io) : io_(io) {}
  std::unique_ptr<Timer> makeTimer() override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace coral::mesos
