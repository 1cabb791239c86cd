#include "mesos/timer.h"

#include <boost/asio/steady_timer.hpp>
#include <cstdint>

namespace coral::mesos {

namespace {

class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(boost::asio::io_context& io) : state_(std::make_shared<State>(io)) {}
  ~AsioTimer() override { cancel(); }

  void start(Duration delay, std::function<void()> onExpiry) override {
    const std::uint64_t generation = ++state_->generation;
    state_->timer.expires_after(delay);
    // The handler may run after this Timer is gone (asio queues aborted
    // waits), so it holds only a weak reference and the generation it
    // belongs to.
    state_->timer.async_wait([weak = std::weak_ptr<State>(state_), generation,
                              fn = std::move(onExpiry)](const boost::system::error_code& ec) {
      auto state = weak.lock();
      if (!state || ec || state->generation != generation) return;
      fn();
    });
  }

  void cancel() override {
    ++state_->generation;
    state_->timer.cancel();
  }

 private:
  struct State {
    explicit State(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;
    std::uint64_t generation = 0;
  };
  std::shared_ptr<State> state_;
};

}  // namespace

std::unique_ptr<Timer> AsioTimerFactory::makeTimer() { return std::make_unique<AsioTimer>(io_); }

}  // namespace coral::mesos
