#include "mesos/master_connection.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cmath>
#include <deque>
#include <random>

#include "mesos/backoff.h"
#include "mesos/call_outcome.h"
#include "mesos/calls.h"
#include "mesos/http_call.h"
#include "mesos/subscription_stream.h"

namespace coral::mesos {

namespace asio = boost::asio;
using v1::scheduler::Call;
using v1::scheduler::Event;

std::string_view toString(MasterConnection::State state) {
  switch (state) {
    case MasterConnection::State::kIdle:
      return "idle";
    case MasterConnection::State::kConnecting:
      return "connecting";
    case MasterConnection::State::kSubscribed:
      return "subscribed";
    case MasterConnection::State::kWaitingToReconnect:
      return "waiting to reconnect";
    case MasterConnection::State::kStopped:
      return "stopped";
  }
  return "?";
}

struct MasterConnection::Impl : std::enable_shared_from_this<MasterConnection::Impl> {
  Impl(asio::io_context& io, MasterConnectionOptions opts, MasterConnectionHandlers h)
      : io(io),
        options(std::move(opts)),
        handlers(std::move(h)),
        ownTimers(options.timers ? nullptr : std::make_unique<AsioTimerFactory>(io)),
        timers(options.timers ? options.timers : ownTimers.get()),
        reconnectTimer(timers->makeTimer()),
        watchdog(timers->makeTimer()),
        retryTimer(timers->makeTimer()),
        random01(options.random01 ? options.random01 : makeRandom()),
        backoff(options.policy.initialBackoff, options.policy.maxBackoff, random01) {
    options.frameworkInfo.clear_id();
  }

  static std::function<double()> makeRandom() {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
  }

  struct PendingCall {
    Call call;
    CallDone done;
    int attempts = 0;
  };

  asio::io_context& io;
  MasterConnectionOptions options;
  MasterConnectionHandlers handlers;
  std::unique_ptr<TimerFactory> ownTimers;
  TimerFactory* timers;
  std::unique_ptr<Timer> reconnectTimer;
  std::unique_ptr<Timer> watchdog;
  std::unique_ptr<Timer> retryTimer;  // 503 retry of the head call
  std::function<double()> random01;
  Backoff backoff;

  State state = State::kIdle;
  std::optional<std::string> frameworkId;
  std::string streamId;
  std::optional<Endpoint> master;    // master of the current subscription
  std::optional<Endpoint> lastGood;  // tried first next time
  double heartbeatSeconds = 0;

  // Subscribe attempt state.
  std::shared_ptr<SubscriptionStream> stream;
  std::vector<Endpoint> candidates;
  std::size_t candidateIndex = 0;
  int redirects = 0;
  std::string lastFailure;
  std::optional<Endpoint> redirectTarget;  // from a 307 on a call
  std::uint64_t attempt = 0;               // ignores callbacks of superseded attempts

  std::deque<PendingCall> queue;
  std::optional<PendingCall> current;  // the call on the wire
  std::shared_ptr<HttpCall> inFlight;
  bool tearingDown = false;

  // --- lifecycle -----------------------------------------------------------

  Status start() {
    if (state != State::kIdle) {
      return makeError("MasterConnection::start called twice; create a new connection instead");
    }
    if (!options.detector) {
      return makeError(
          "MasterConnection has no leader detector; set options.detector from "
          "makeLeaderDetector(--master)");
    }
    if (options.idStore) {
      auto stored = options.idStore->load();
      if (!stored) return stored.error();
      frameworkId = *stored;
    }
    state = State::kConnecting;
    detect();
    return okStatus();
  }

  void stop(const std::string& why) {
    if (state == State::kStopped) return;
    state = State::kStopped;
    ++attempt;
    if (stream) stream->close();
    stream.reset();
    reconnectTimer->cancel();
    watchdog->cancel();
    retryTimer->cancel();
    streamId.clear();
    failQueued("the connection to the master was stopped (" + why + "); the call was not sent");
  }

  void fatal(const std::string& message) {
    if (state == State::kStopped) return;
    stop(message);
    if (handlers.onFatal) handlers.onFatal(makeError(message));
  }

  // --- subscribing ---------------------------------------------------------

  void detect() {
    state = State::kConnecting;
    const std::uint64_t current = ++attempt;
    options.detector->detect(
        [weak = weak_from_this(), current](Result<std::vector<Endpoint>> found) {
          auto self = weak.lock();
          if (!self || self->attempt != current || self->state == State::kStopped) return;
          if (!found) return self->retryLater(found.message());
          if (found->empty()) return self->retryLater("no master address to try");
          self->candidates = std::move(*found);
          if (self->redirectTarget) {
            self->candidates.insert(self->candidates.begin(), *self->redirectTarget);
            self->redirectTarget.reset();
          } else if (self->lastGood) {
            auto it = std::find(self->candidates.begin(), self->candidates.end(), *self->lastGood);
            if (it != self->candidates.end()) std::rotate(self->candidates.begin(), it, it + 1);
          }
          self->candidateIndex = 0;
          self->redirects = 0;
          self->lastFailure.clear();
          self->subscribeTo(self->candidates.front());
        });
  }

  void nextCandidate(const std::string& failure) {
    lastFailure = failure;
    ++candidateIndex;
    redirects = 0;
    if (candidateIndex >= candidates.size()) return retryLater(failure);
    subscribeTo(candidates[candidateIndex]);
  }

  void retryLater(const std::string& why) {
    if (state == State::kStopped) return;
    state = State::kWaitingToReconnect;
    const Duration delay = backoff.next();
    lastFailure = why;
    reconnectTimer->start(delay, [weak = weak_from_this()] {
      if (auto self = weak.lock(); self && self->state == State::kWaitingToReconnect)
        self->detect();
    });
  }

  SchedulerRequest requestTo(const Endpoint& endpoint, std::string body) const {
    SchedulerRequest request;
    request.master = endpoint;
    request.body = std::move(body);
    request.contentType = options.contentType;
    if (options.credentials) request.authorization = options.credentials->authorizationHeader();
    return request;
  }

  void subscribeTo(const Endpoint& endpoint) {
    state = State::kConnecting;
    const std::uint64_t current = ++attempt;
    v1::FrameworkInfo info = options.frameworkInfo;
    if (frameworkId) info.mutable_id()->set_value(*frameworkId);
    auto body = encodeCall(calls::subscribe(info, options.suppressedRoles), options.contentType);
    if (!body) return fatal("cannot encode SUBSCRIBE: " + body.message());

    SubscriptionStream::Handlers streamHandlers;
    streamHandlers.onResponse = [weak = weak_from_this(), current,
                                 endpoint](Result<SchedulerResponse> r) {
      if (auto self = weak.lock(); self && self->attempt == current)
        self->onSubscribeResponse(endpoint, std::move(r));
    };
    streamHandlers.onEvent = [weak = weak_from_this(), current, endpoint](Event& event) {
      if (auto self = weak.lock(); self && self->attempt == current) self->onEvent(endpoint, event);
    };
    streamHandlers.onEnded = [weak = weak_from_this(), current](const std::string& reason) {
      if (auto self = weak.lock(); self && self->attempt == current) self->onStreamEnded(reason);
    };
    if (stream) stream->close();
    stream = SubscriptionStream::open(io, requestTo(endpoint, std::move(*body)),
                                      options.policy.callTimeout, std::move(streamHandlers));
  }

  void onSubscribeResponse(const Endpoint& endpoint, Result<SchedulerResponse> result) {
    if (!result) return nextCandidate(result.message());
    const SchedulerResponse& response = *result;
    const std::string who = "master " + endpoint.toString();
    switch (response.status) {
      case 200:
        streamId = response.streamId;
        master = endpoint;
        // Until SUBSCRIBED brings the real interval.
        armWatchdog(std::chrono::duration<double>(options.policy.defaultHeartbeat).count());
        return;
      case 307: {
        auto leader = parseLocation(response.location, endpoint);
        if (!leader) return nextCandidate(leader.message());
        if (++redirects > options.policy.maxRedirects) {
          return nextCandidate(who + " redirected more than " +
                               std::to_string(options.policy.maxRedirects) +
                               " times; the masters disagree about the leader");
        }
        return subscribeTo(*leader);
      }
      case 503:
        return nextCandidate(who + " is not ready (503): " + describeBody(response.body));
      case 401:
        return fatal(who + " rejected the framework's credentials (401 Unauthorized): " +
                     describeBody(response.body) +
                     "; check --principal and the secret file against the master's "
                     "--credentials");
      case 403:
        return fatal(who +
                     " refused the subscription (403 Forbidden): " + describeBody(response.body) +
                     "; the principal is not authorized to register with these roles");
      case 400:
        return fatal(who + " rejected SUBSCRIBE (400 Bad Request): " + describeBody(response.body) +
                     "; this is a client or configuration bug, retrying would not help");
      default:
        if (response.status >= 500) {
          return nextCandidate(who + " answered SUBSCRIBE with HTTP " +
                               std::to_string(response.status) + ": " +
                               describeBody(response.body));
        }
        return fatal(who + " answered SUBSCRIBE with HTTP " + std::to_string(response.status) +
                     ": " + describeBody(response.body) +
                     "; check that --master points at a Mesos master");
    }
  }

  void armWatchdog(double intervalSeconds) {
    if (!(intervalSeconds > 0))
      intervalSeconds = std::chrono::duration<double>(options.policy.defaultHeartbeat).count();
    const double windowSeconds = intervalSeconds * options.policy.heartbeatMissFactor;
    const Duration window(static_cast<Duration::rep>(std::ceil(windowSeconds * 1000.0)));
    watchdog->start(window, [weak = weak_from_this(), windowSeconds] {
      auto self = weak.lock();
      if (!self || !self->stream) return;
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.3g", windowSeconds);
      self->onStreamEnded("no event (not even a HEARTBEAT) from master " +
                          (self->master ? self->master->toString() : std::string("?")) + " for " +
                          seconds + " s; assuming a network partition");
    });
  }

  void onEvent(const Endpoint& endpoint, Event& event) {
    auto keepAlive = shared_from_this();
    armWatchdog(heartbeatSeconds);
    if (event.type() == Event::SUBSCRIBED) {
      const auto& subscribed = event.subscribed();
      const std::string id = subscribed.framework_id().value();
      // Persist before acting on it: a crash after this point must find it.
      if (options.idStore && frameworkId != id) {
        if (auto saved = options.idStore->save(id); !saved) return fatal(saved.message());
      }
      frameworkId = id;
      heartbeatSeconds =
          subscribed.has_heartbeat_interval_seconds() ? subscribed.heartbeat_interval_seconds() : 0;
      armWatchdog(heartbeatSeconds);
      state = State::kSubscribed;
      lastGood = endpoint;
      backoff.reset();
      if (handlers.onEvent) handlers.onEvent(event);
      return;
    }
    if (event.type() == Event::ERROR) {
      if (handlers.onEvent) handlers.onEvent(event);
      const std::string message = event.error().message();
      if (message.find("removed") != std::string::npos) {
        return fatal("master " + endpoint.toString() + " says: \"" + message + "\": framework " +
                     frameworkId.value_or("?") +
                     " was torn down or its failover timeout expired, and its tasks are gone; "
                     "delete " +
                     (options.idStore ? options.idStore->path() : "the stored ID") +
                     " to register as a new framework");
      }
      return fatal("master " + endpoint.toString() + " sent ERROR: \"" + message +
                   "\"; another scheduler instance may have subscribed with the same framework "
                   "ID, or the framework is not authorized; not re-subscribing to avoid a "
                   "fight between instances");
    }
    if (handlers.onEvent) handlers.onEvent(event);
  }

  void onStreamEnded(const std::string& reason) {
    if (state == State::kStopped) return;
    auto keepAlive = shared_from_this();
    const bool wasSubscribed = state == State::kSubscribed;
    ++attempt;
    if (stream) stream->close();
    stream.reset();
    watchdog->cancel();
    retryTimer->cancel();
    streamId.clear();
    master.reset();
    failQueued("the subscription was lost before the call was sent (" + reason + ")");
    if (tearingDown) return stop("framework torn down");
    state = State::kWaitingToReconnect;
    if (wasSubscribed && handlers.onDisconnected) handlers.onDisconnected(reason);
    if (state == State::kStopped) return;  // a handler stopped us
    if (redirectTarget) {
      // The leader moved (307 on a call): go there at once.
      return detect();
    }
    retryLater(reason);
  }

  // --- calls ---------------------------------------------------------------

  // Delay before the n-th retry of a call answered 503 (n >= 1): the
  // re-subscribe schedule, jittered, without touching its state.
  Duration retryDelay(int n) const {
    double ceiling =
        static_cast<double>(options.policy.initialBackoff.count()) * std::pow(2.0, n - 1);
    ceiling = std::min(ceiling, static_cast<double>(options.policy.maxBackoff.count()));
    return Duration(
        std::max<Duration::rep>(1, static_cast<Duration::rep>(ceiling * (0.5 + 0.5 * random01()))));
  }

  void failQueued(const std::string& why) {
    auto pending = std::move(queue);
    queue.clear();
    for (auto& call : pending) {
      if (call.done) call.done(makeError(Call::Type_Name(call.call.type()) + " not sent: " + why));
    }
  }

  void send(Call call, CallDone done) {
    auto fail = [&](const std::string& message) {
      // Posted so `done` never runs inside send(); dropped if the connection
      // is destroyed first.
      if (done) {
        asio::post(io, [weak = weak_from_this(), done = std::move(done), message] {
          if (weak.lock()) done(makeError(message));
        });
      }
    };
    if (call.type() == Call::SUBSCRIBE) {
      return fail("SUBSCRIBE is sent by the connection itself; use start()");
    }
    if (state != State::kSubscribed || !frameworkId) {
      return fail(Call::Type_Name(call.type()) +
                  " not sent: not subscribed (state: " + std::string(toString(state)) +
                  "); calls are only valid after SUBSCRIBED, wait for it");
    }
    call.mutable_framework_id()->set_value(*frameworkId);
    queue.push_back(PendingCall{std::move(call), std::move(done), 0});
    pump();
  }

  void pump() {
    if (inFlight || queue.empty() || state != State::kSubscribed || !master) return;
    current = std::move(queue.front());
    queue.pop_front();
    auto body = encodeCall(current->call, options.contentType);
    if (!body) {
      PendingCall failed = std::move(*current);
      current.reset();
      if (failed.done) failed.done(makeError(body.message()));
      return pump();
    }
    SchedulerRequest request = requestTo(*master, std::move(*body));
    request.streamId = streamId;
    const Endpoint target = *master;
    inFlight = HttpCall::start(io, std::move(request), options.policy.callTimeout,
                               [weak = weak_from_this(), target](Result<SchedulerResponse> r) {
                                 if (auto self = weak.lock())
                                   self->onCallDone(target, std::move(r));
                               });
  }

  void onCallDone(const Endpoint& target, Result<SchedulerResponse> result) {
    auto keepAlive = shared_from_this();
    inFlight.reset();
    if (!current) return;
    PendingCall call = std::move(*current);
    current.reset();
    CallOutcome outcome = interpretCallAnswer(call.call, target, result, call.attempts,
                                              options.policy.callRetriesOn503);
    if (outcome.action == CallOutcome::Action::kRetry) {
      ++call.attempts;
      const Duration delay = retryDelay(call.attempts);
      queue.push_front(std::move(call));
      retryTimer->start(delay, [weak = weak_from_this()] {
        if (auto self = weak.lock()) self->pump();
      });
      return;
    }
    const bool succeeded = outcome.status.ok();
    if (call.done) call.done(std::move(outcome.status));
    switch (outcome.action) {
      case CallOutcome::Action::kStop:
        return fatal(outcome.reason);
      case CallOutcome::Action::kResubscribe:
        if (outcome.leader) redirectTarget = outcome.leader;
        return onStreamEnded(outcome.reason);
      default:
        break;
    }
    if (succeeded && call.call.type() == Call::TEARDOWN) {
      if (options.idStore) {
        if (auto cleared = options.idStore->clear(); !cleared) {
          return fatal("framework torn down, but " + cleared.message());
        }
      }
      frameworkId.reset();
      return stop("framework torn down");
    }
    pump();
  }
};

MasterConnection::MasterConnection(asio::io_context& io, MasterConnectionOptions options,
                                   MasterConnectionHandlers handlers)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(handlers))) {}

MasterConnection::~MasterConnection() {
  // Nothing may call back into a destroyed owner: drop handlers and the
  // callbacks of pending calls before stopping.
  impl_->handlers = {};
  impl_->queue.clear();
  impl_->current.reset();
  impl_->stop("connection destroyed");
  if (impl_->inFlight) impl_->inFlight->cancel();
}

Status MasterConnection::start() { return impl_->start(); }

void MasterConnection::stop() {
  // A call already on the wire still reports its answer; queued ones fail.
  impl_->stop("stopped by the scheduler");
}

void MasterConnection::send(Call call, CallDone done) {
  impl_->send(std::move(call), std::move(done));
}

bool MasterConnection::acknowledge(const v1::TaskStatus& status, CallDone done) {
  auto call = calls::acknowledge(status);
  if (!call) return false;
  impl_->send(std::move(*call), std::move(done));
  return true;
}

void MasterConnection::teardown(CallDone done) {
  if (impl_->state == State::kSubscribed) impl_->tearingDown = true;
  impl_->send(calls::teardown(), std::move(done));
}

MasterConnection::State MasterConnection::state() const { return impl_->state; }
std::optional<std::string> MasterConnection::frameworkId() const { return impl_->frameworkId; }
std::string MasterConnection::streamId() const { return impl_->streamId; }
std::optional<Endpoint> MasterConnection::master() const { return impl_->master; }
double MasterConnection::heartbeatIntervalSeconds() const { return impl_->heartbeatSeconds; }

}  // namespace coral::mesos
