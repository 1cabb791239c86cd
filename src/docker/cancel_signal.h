// A thread-safe, one-way "stop now" switch that can also interrupt blocked I/O.
// DockerClient::stop() fires it; every open event stream registers an
// interrupter with it so a read that is waiting on the daemon returns promptly.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace coral::docker {

class CancelSignal {
 public:
  using Interrupter = std::function<void()>;

  // Fires the signal and runs each registered interrupter once. Sticky: a
  // stream that registers afterwards is refused, so a stop() that races with
  // the start of a stream still stops it.
  void cancel();
  bool cancelled() const { return cancelled_.load(); }

  // Keeps an interrupter registered for its own lifetime. `active()` is false
  // when the signal had already fired (the interrupter is then not kept).
  class Registration {
   public:
    Registration(CancelSignal* signal, Interrupter interrupter);
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    bool active() const { return id_ != 0; }

   private:
    CancelSignal* signal_;
    uint64_t id_ = 0;
  };

 private:
  // The mutex is held while interrupters run so that a Registration cannot be
  // destroyed (and its stream freed) while its interrupter is executing.
  std::mutex mutex_;
  std::atomic<bool> cancelled_{false};
  uint64_t next_id_ = 1;
  std::map<uint64_t, Interrupter> interrupters_;
};

}  // namespace coral::docker
