#include "mesos/call_outcome.h"

namespace coral::mesos {

CallOutcome interpretCallAnswer(const v1::scheduler::Call& call, const Endpoint& master,
                                const Result<SchedulerResponse>& answer, int attempts,
                                int maxRetriesOn503) {
  using Action = CallOutcome::Action;
  const std::string name = v1::scheduler::Call::Type_Name(call.type());
  const std::string who = "master " + master.toString();
  CallOutcome outcome;
  if (!answer) {
    // The subscription's own watchdog decides whether the master is gone.
    outcome.status = makeError(name + ": " + answer.message());
    return outcome;
  }
  const SchedulerResponse& response = *answer;
  const std::string body = describeBody(response.body);
  switch (response.status) {
    case 200:  // UPDATE_FRAMEWORK
    case 202:  // queued; the result comes on the event stream
      return outcome;
    case 503:
      if (attempts < maxRetriesOn503) {
        outcome.action = Action::kRetry;
        return outcome;
      }
      outcome.status = makeError(name + ": " + who + " is not ready (503) after " +
                                 std::to_string(attempts + 1) + " tries: " + body);
      return outcome;
    case 307: {
      outcome.action = Action::kResubscribe;
      outcome.status =
          makeError(name + ": " + who + " is no longer the leader (307 to " + response.location +
                    "); re-subscribing there, send the call again after SUBSCRIBED");
      outcome.reason = who + " lost leadership (307 on " + name + ")";
      if (auto leader = parseLocation(response.location, master)) outcome.leader = *leader;
      return outcome;
    }
    case 401:
      outcome.action = Action::kStop;
      outcome.status = makeError(name + ": " + who + " rejected the credentials (401): " + body);
      outcome.reason = who + " rejected the framework's credentials (401 Unauthorized) on " + name +
                       ": " + body + "; check --principal and the secret file";
      return outcome;
    case 403:
      outcome.status = makeError(name + ": " + who + " refused it (403 Forbidden): " + body);
      // Sent while the master considers the framework disconnected (it
      // checks this before the stream ID): the subscription is dead.
      if (response.body.find("not subscribed") != std::string::npos) {
        outcome.action = Action::kResubscribe;
        outcome.reason = who + " says the framework is not subscribed";
      }
      return outcome;
    case 400:
      outcome.status = makeError(name + ": " + who + " rejected it (400 Bad Request): " + body);
      // After a master failover the new leader knows the framework only
      // once it re-subscribes.
      if (response.body.find("Framework cannot be found") != std::string::npos) {
        outcome.action = Action::kResubscribe;
        outcome.reason = who + " does not know the framework (master failover?)";
      }
      return outcome;
    default:
      outcome.status = makeError(name + ": " + who + " answered HTTP " +
                                 std::to_string(response.status) + ": " + body);
      return outcome;
  }
}

}  // namespace coral::mesos
