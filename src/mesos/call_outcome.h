// What the answer to a non-SUBSCRIBE call means for the scheduler: the
// status-code policy of /api/v1/scheduler as the recorded Mesos 1.12 master
// applies it (202 queued, 307 leader moved, 400 with a text reason, 403 not
// subscribed, 401 bad credentials, 503 not ready).
#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "mesos/http_call.h"
#include "mesos/master_address.h"
#include "mesos/proto.h"

namespace coral::mesos {

struct CallOutcome {
  enum class Action {
    kDone,         // report `status` to the caller and send the next call
    kRetry,        // 503: send the same call again after a backoff
    kResubscribe,  // the subscription is gone (leader moved, master forgot us)
    kStop,         // 401: the credentials are wrong; stop the connection
  };
  Action action = Action::kDone;
  Status status;                   // what the caller of send() gets
  std::string reason;              // why, for onDisconnected / onFatal
  std::optional<Endpoint> leader;  // kResubscribe after a 307: go there first
};

// `attempts` is how many times the call was already retried after a 503.
CallOutcome interpretCallAnswer(const v1::scheduler::Call& call, const Endpoint& master,
                                const Result<SchedulerResponse>& answer, int attempts,
                                int maxRetriesOn503);

}  // namespace coral::mesos
