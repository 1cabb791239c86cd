// A strict, scriptable Mesos master for tests (never shipped): speaks POST
// /api/v1/scheduler on 127.0.0.1:<ephemeral> like the recorded Mesos 1.12
// master (status codes and bodies from tests/mesos/fixtures/mesos-1.12), and fails
// the running test on every protocol mistake a client can make.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mesos/codec.h"
#include "mesos/master_address.h"
#include "mesos/proto.h"
#include "mesos/timer.h"

namespace coral::mesos::testing {

struct ReceivedCall {
  v1::scheduler::Call call;
  ContentType contentType;
  std::string streamIdHeader;
  unsigned answeredStatus = 0;
};

class TestMaster {
 public:
  struct Options {
    std::string masterId = "test-master";
    double heartbeatIntervalSeconds = 15;  // announced in SUBSCRIBED
    Duration heartbeatPeriod{15000};       // real period of HEARTBEAT events
    std::optional<std::pair<std::string, std::string>> credentials;  // principal, secret
  };

  TestMaster(boost::asio::io_context& io, Options options);
  ~TestMaster();

  Endpoint endpoint() const;

  // --- scripting ---
  // An agent whose free resources are offered to the subscribed framework.
  void addAgent(const std::string& agentId, double cpus, double memMb,
                std::vector<std::pair<std::uint64_t, std::uint64_t>> portRanges);
  // Offers of the agent carry Offer.url http://ip:port/slave(1) (its HTTP API).
  void setAgentUrl(const std::string& agentId, const std::string& ip, int port);
  // One OFFERS event with an offer per agent that has free resources.
  void sendOffers();
  // An UPDATE for a launched (or any) task; returns the uuid (empty without).
  std::string pushUpdate(const std::string& taskId, v1::TaskState state, bool withUuid,
                         const std::string& containerIp = "");
  // A health check result for a task launched with a health_check.
  void pushHealth(const std::string& taskId, bool healthy);
  void sendHeartbeat();
  void rescind(const std::string& offerId);
  // From now on answer every request with 307 to `leader`; cut open streams
  // (what a client sees when its master loses leadership).
  void redirectTo(const Endpoint& leader);
  // Writes half a record on the stream, then closes the connection.
  void dropStreamMidRecord();
  // Stop writing anything (heartbeats included) on open streams.
  void goSilent();
  // Answer the next n requests with `status` and `body` (503 "No leader elected").
  void failNext(int n, unsigned status = 503, std::string body = "No leader elected");
  // Sends ERROR on the current stream and ends it (keeps TCP open).
  void sendError(const std::string& message);
  // The framework is gone (as after failover_timeout): re-subscribing with
  // its ID gets ERROR "Framework has been removed".
  void removeFramework(const std::string& frameworkId);

  // --- observation ---
  const std::vector<ReceivedCall>& calls() const;
  std::vector<ReceivedCall> callsOfType(v1::scheduler::Call::Type type) const;
  int subscribeCount() const;       // SUBSCRIBE requests answered 200
  int requestCount() const;         // every HTTP request
  std::string streamId() const;     // of the live subscription ("" if none)
  std::string frameworkId() const;  // of the last subscription
  bool subscribed() const;
  std::vector<std::string> outstandingOfferIds() const;
  const std::map<std::string, v1::TaskInfo>& launchedTasks() const;
  std::size_t unacknowledgedUpdates() const;
  std::size_t acknowledged() const;
  std::optional<v1::FrameworkInfo> lastFrameworkInfo() const;
  std::optional<std::string> lastAuthorization() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace coral::mesos::testing
