// The scheduler's link to the Mesos master (v1 HTTP API): subscribes with
// the stored FrameworkID, delivers the event stream, sends calls on their own
// connections with the current Mesos-Stream-Id, and keeps the subscription
// alive across redirects, master failover, partitions and restarts.
//
// Everything runs on the caller's io_context: handlers are called from it,
// and the object must only be used from it. No threads of its own (only
// asio's resolver and, for zk://, the ZooKeeper C client run theirs, and
// their results are posted back to the loop), no globals.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "mesos/codec.h"
#include "mesos/framework_id_store.h"
#include "mesos/framework_info.h"
#include "mesos/leader_detector.h"
#include "mesos/master_address.h"
#include "mesos/proto.h"
#include "mesos/timer.h"

namespace coral::mesos {

struct ReconnectPolicy {
  // Re-subscribe backoff: jittered, doubling from initial to max.
  Duration initialBackoff{1000};
  Duration maxBackoff{15000};
  // No event for heartbeatMissFactor x heartbeat_interval_seconds => the
  // link is dead (half-open TCP after a partition): reconnect.
  double heartbeatMissFactor = 5;
  // Heartbeat interval assumed until SUBSCRIBED says otherwise.
  Duration defaultHeartbeat{15000};
  // One call (connect to answer); also connect + head of SUBSCRIBE.
  Duration callTimeout{75000};
  int maxRedirects = 5;
  // 503 ("no leader elected", "master recovering") on a call is retried.
  int callRetriesOn503 = 3;
};

struct MasterConnectionOptions {
  std::unique_ptr<LeaderDetector> detector;  // makeLeaderDetector(io, parseMasterSpec(...))
  ContentType contentType = ContentType::kProtobuf;
  v1::FrameworkInfo frameworkInfo;           // buildFrameworkInfo(); its id is ignored
  std::optional<Credentials> credentials;    // HTTP basic auth on every request
  std::optional<FrameworkIdStore> idStore;   // empty: the ID lives in memory only
  std::vector<std::string> suppressedRoles;  // roles to subscribe suppressed
  ReconnectPolicy policy;
  TimerFactory* timers = nullptr;    // empty: asio timers on the io_context
  std::function<double()> random01;  // empty: a private seeded generator
};

struct MasterConnectionHandlers {
  // Every event, SUBSCRIBED and HEARTBEAT included, in stream order. On
  // SUBSCRIBED the framework ID is already persisted and calls may be sent.
  std::function<void(const v1::scheduler::Event& event)> onEvent;
  // The subscription was lost; a re-subscribe is scheduled. Outstanding
  // offers are gone; reconcile after the next SUBSCRIBED.
  std::function<void(const std::string& reason)> onDisconnected;
  // Unrecoverable (bad credentials, framework removed, ERROR event, ...):
  // the connection has stopped and will not retry.
  std::function<void(const Error& error)> onFatal;
};

class MasterConnection {
 public:
  enum class State { kIdle, kConnecting, kSubscribed, kWaitingToReconnect, kStopped };

  MasterConnection(boost::asio::io_context& io, MasterConnectionOptions options,
                   MasterConnectionHandlers handlers);
  ~MasterConnection();  // stops; no handler or call callback runs afterwards
  MasterConnection(const MasterConnection&) = delete;
  MasterConnection& operator=(const MasterConnection&) = delete;

  // Loads the stored FrameworkID (error if the store is unreadable) and
  // starts subscribing.
  Status start();

  // Closes the subscription without tearing the framework down: tasks keep
  // running for failover_timeout. Pending calls fail.
  void stop();

  using CallDone = std::function<void(Status)>;

  // Sends a call on a new connection with the current stream ID and
  // framework ID (set here). Calls are sent one at a time in order, since
  // e.g. DECLINE-then-REVIVE must not be reordered. Fails at once when not
  // subscribed: calls are only valid on the current subscription.
  void send(v1::scheduler::Call call, CallDone done = {});

  // ACKNOWLEDGE `status` if, and only if, it carries a uuid. Returns whether
  // a call was sent.
  bool acknowledge(const v1::TaskStatus& status, CallDone done = {});

  // TEARDOWN: removes the framework and kills all its tasks, then stops and
  // forgets the stored FrameworkID.
  void teardown(CallDone done = {});

  State state() const;
  std::optional<std::string> frameworkId() const;
  std::string streamId() const;            // empty when not subscribed
  std::optional<Endpoint> master() const;  // the master of the subscription
  double heartbeatIntervalSeconds() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

std::string_view toString(MasterConnection::State state);

}  // namespace coral::mesos
