// Exponential backoff with jitter for re-subscribing (1 s doubling to 15 s,
// as the scheduler HTTP API docs advise), so a fleet of schedulers does not
// hammer a recovering master in lock-step.
#pragma once

#include <functional>

#include "mesos/timer.h"

namespace coral::mesos {

class Backoff {
 public:
  // `random01` returns a uniform value in [0, 1); injected so tests are
  // deterministic and nothing global (rand()) is touched.
  Backoff(Duration initial, Duration max, std::function<double()> random01);

  // The next delay: the current ceiling times a factor in [0.5, 1], then the
  // ceiling doubles (capped at max).
  Duration next();

  // After a success: the next delay starts from `initial` again.
  void reset();

  int failures() const { return failures_; }

 private:
  Duration initial_;
  Duration max_;
  Duration ceiling_;
  std::function<double()> random01_;
  int failures_ = 0;
};

}  // namespace coral::mesos
