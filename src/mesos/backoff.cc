#include "mesos/backoff.h"

#include <algorithm>

namespace coral::mesos {

Backoff::Backoff(Duration initial, Duration max, std::function<double()> random01)
    : initial_(initial),
      max_(std::max(initial, max)),
      ceiling_(initial),
      random01_(std::move(random01)) {}

Duration Backoff::next() {
  const double factor = 0.5 + 0.5 * std::clamp(random01_(), 0.0, 1.0);
  const Duration delay(static_cast<Duration::rep>(static_cast<double>(ceiling_.count()) * factor));
  ceiling_ = std::min(max_, ceiling_ * 2);
  ++failures_;
  return std::max(delay, Duration(1));
}

void Backoff::reset() {
  ceiling_ = initial_;
  failures_ = 0;
}

}  // namespace coral::mesos
