// MasterConnection against the strict test master, in both encodings. Timers
// run 100x faster than asked (1 s backoff = 10 ms), so the real policies are
// exercised in milliseconds.
#include "mesos/master_connection.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>

#include "mesos/calls.h"
#include "mesos/http_call.h"
#include "mesos/task_info.h"
#include "test_master.h"

namespace coral::mesos {
namespace {

namespace asio = boost::asio;
using testing::TestMaster;
using v1::scheduler::Call;
using v1::scheduler::Event;

// Real asio timers whose delays are divided by `scale`; remembers what was
// asked for so tests can check the policy itself.
class ScaledTimers final : public TimerFactory {
 public:
  ScaledTimers(asio::io_context& io, int scale) : io_(io), scale_(scale) {}
  std::unique_ptr<Timer> makeTimer() override { return std::make_unique<ScaledTimer>(*this); }
  std::vector<Duration> requested;

 private:
  class ScaledTimer final : public Timer {
   public:
    explicit ScaledTimer(ScaledTimers& owner)
        : owner_(owner), inner_(AsioTimerFactory(owner.io_).makeTimer()) {}
    void start(Duration delay, std::function<void()> fn) override {
      owner_.requested.push_back(delay);
      inner_->start(Duration(std::max<Duration::rep>(1, delay.count() / owner_.scale_)),
                    std::move(fn));
    }
    void cancel() override { inner_->cancel(); }

   private:
    ScaledTimers& owner_;
    std::unique_ptr<Timer> inner_;
  };
  asio::io_context& io_;
  int scale_;
};

std::string makeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "coral-conn-XXXXXX").string();
  return mkdtemp(tmpl.data());
}

class MasterConnectionTest : public ::testing::TestWithParam<ContentType> {
 protected:
  void SetUp() override {
    stateDir = makeTempDir();
    master = std::make_unique<TestMaster>(io, masterOptions());
  }
  void TearDown() override {
    connection.reset();
    master.reset();
    io.run_for(std::chrono::milliseconds(5));
    std::filesystem::remove_all(stateDir);
  }

  static TestMaster::Options masterOptions(const std::string& id = "test-master") {
    TestMaster::Options options;
    options.masterId = id;
    options.heartbeatIntervalSeconds = 15;  // watchdog: 75 s / 100 = 750 ms
    options.heartbeatPeriod = std::chrono::milliseconds(100);
    return options;
  }

  MasterConnectionOptions clientOptions(const std::string& masterFlag) {
    auto spec = parseMasterSpec(masterFlag);
    EXPECT_TRUE(spec.ok()) << spec.message();
    FrameworkConfig config;
    config.user = "root";
    config.name = "coral-test";
    config.roles = {"coral"};
    MasterConnectionOptions options;
    options.detector = makeLeaderDetector(io, *spec);
    options.contentType = GetParam();
    options.frameworkInfo = *buildFrameworkInfo(config);
    options.idStore.emplace(stateDir);
    options.timers = &timers;
    options.random01 = [] { return 1.0; };
    options.policy.callTimeout = std::chrono::milliseconds(5000);
    return options;
  }

  std::string masterFlag(const TestMaster& m) const { return "http://" + m.endpoint().toString(); }

  void connect(MasterConnectionOptions options) {
    MasterConnectionHandlers handlers;
    handlers.onEvent = [this](const Event& event) {
      events.push_back(event);
      if (onEvent) onEvent(event);
    };
    handlers.onDisconnected = [this](const std::string& reason) { disconnects.push_back(reason); };
    handlers.onFatal = [this](const Error& error) { fatal = error; };
    connection = std::make_unique<MasterConnection>(io, std::move(options), std::move(handlers));
    auto started = connection->start();
    ASSERT_TRUE(started.ok()) << started.message();
  }

  bool runUntil(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io.restart();
      io.run_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  bool subscribed() {
    return connection && connection->state() == MasterConnection::State::kSubscribed;
  }

  int count(Event::Type type) const {
    int n = 0;
    for (const auto& e : events) n += e.type() == type;
    return n;
  }

  Status sendAndWait(Call call) {
    std::optional<Status> result;
    connection->send(std::move(call), [&](Status s) { result = std::move(s); });
    EXPECT_TRUE(runUntil([&] { return result.has_value(); }));
    return result.value_or(makeError("no answer"));
  }

  asio::io_context io;
  ScaledTimers timers{io, 100};
  std::string stateDir;
  std::unique_ptr<TestMaster> master;
  std::unique_ptr<MasterConnection> connection;
  std::vector<Event> events;
  std::vector<std::string> disconnects;
  std::optional<Error> fatal;
  std::function<void(const Event&)> onEvent;
};

TEST_P(MasterConnectionTest, SubscribesAndPersistsTheFrameworkId) {
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  ASSERT_EQ(events.front().type(), Event::SUBSCRIBED);
  EXPECT_EQ(connection->frameworkId(), master->frameworkId());
  EXPECT_EQ(connection->streamId(), master->streamId());
  EXPECT_DOUBLE_EQ(connection->heartbeatIntervalSeconds(), 15);
  auto stored = FrameworkIdStore(stateDir).load();
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ(**stored, master->frameworkId());
  const auto subscribe = master->callsOfType(Call::SUBSCRIBE).at(0);
  EXPECT_TRUE(subscribe.streamIdHeader.empty());
  EXPECT_FALSE(subscribe.call.has_framework_id());
  EXPECT_EQ(subscribe.contentType, GetParam());
  const auto info = *master->lastFrameworkInfo();
  EXPECT_EQ(info.user(), "root");
  EXPECT_TRUE(info.checkpoint());
  EXPECT_DOUBLE_EQ(info.failover_timeout(), 604800);
}

TEST_P(MasterConnectionTest, RestartReusesTheStoredFrameworkId) {
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  const std::string first = *connection->frameworkId();
  connection.reset();  // scheduler process "restarts"
  ASSERT_TRUE(runUntil([&] { return !master->subscribed(); }));
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  EXPECT_EQ(*connection->frameworkId(), first);
  const auto again = master->callsOfType(Call::SUBSCRIBE).back();
  EXPECT_EQ(again.call.framework_id().value(), first);
  EXPECT_EQ(again.call.subscribe().framework_info().id().value(), first);
  EXPECT_EQ(master->subscribeCount(), 2);
}

TEST_P(MasterConnectionTest, LaunchesFromAnOfferAndAcknowledgesOnlyUpdatesWithUuid) {
  master->addAgent("agent-0", 4, 8192, {{8888, 8888}, {31000, 31010}});
  onEvent = [&](const Event& event) {
    if (event.type() == Event::UPDATE) connection->acknowledge(event.update().status());
  };
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  master->sendOffers();
  ASSERT_TRUE(runUntil([&] { return count(Event::OFFERS) == 1; }));
  const v1::Offer offer = std::find_if(events.begin(), events.end(),
                                       [](const Event& e) { return e.type() == Event::OFFERS; })
                              ->offers()
                              .offers(0);
  OfferResources resources(offer);
  NodeLaunchSpec spec;
  spec.cluster = "lab";
  spec.node = "jupyter";
  spec.role = "jupyter";
  spec.generation = 1;
  spec.containerizer =
      GetParam() == ContentType::kJson ? Containerizer::kDocker : Containerizer::kMesos;
  spec.image = "coral/notebook";
  spec.network = "calico";
  spec.argv = {"jupyter", "notebook"};
  spec.cpus = 1;
  spec.memMb = 1024;
  spec.ports = {{8888, 8888}};
  auto task = buildNodeTask(spec, resources);
  ASSERT_TRUE(task.ok()) << task.message();
  ASSERT_TRUE(sendAndWait(calls::accept({offer.id()}, {*task}, 5)).ok());
  ASSERT_TRUE(runUntil([&] { return master->launchedTasks().count("jupyter.1") == 1; }));

  master->pushUpdate("jupyter.1", v1::TASK_STARTING, true);
  master->pushUpdate("jupyter.1", v1::TASK_RUNNING, true, "10.238.0.7");
  ASSERT_TRUE(sendAndWait(calls::reconcile({{"jupyter.1", offer.agent_id().value()}})).ok());
  ASSERT_TRUE(runUntil([&] { return count(Event::UPDATE) == 3 && master->acknowledged() == 2; }));
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(master->acknowledged(), 2u);
  EXPECT_EQ(master->unacknowledgedUpdates(), 0u);
  EXPECT_EQ(master->callsOfType(Call::ACKNOWLEDGE).size(), 2u)
      << "the reconciliation update has no uuid";
  std::vector<std::string> ips;
  for (const auto& e : events) {
    if (e.type() == Event::UPDATE && e.update().status().state() == v1::TASK_RUNNING &&
        e.update().status().has_uuid()) {
      ips = containerIps(e.update().status(), "calico");
    }
  }
  EXPECT_EQ(ips, std::vector<std::string>{"10.238.0.7"});
  // Every call carried the live stream id and the framework id.
  for (const auto& call : master->calls()) {
    if (call.call.type() == Call::SUBSCRIBE) continue;
    EXPECT_EQ(call.streamIdHeader, master->streamId());
    EXPECT_EQ(call.call.framework_id().value(), master->frameworkId());
  }
}

TEST_P(MasterConnectionTest, DeclineSuppressReviveKill) {
  master->addAgent("agent-0", 2, 2048, {{31000, 31001}});
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  master->sendOffers();
  ASSERT_TRUE(runUntil([&] { return count(Event::OFFERS) == 1; }));
  v1::OfferID offer;
  for (const auto& e : events)
    if (e.type() == Event::OFFERS) offer = e.offers().offers(0).id();
  ASSERT_TRUE(sendAndWait(calls::decline({offer}, calls::jitteredRefuseSeconds(3600, 0.5))).ok());
  ASSERT_TRUE(sendAndWait(calls::suppress({"coral"})).ok());
  ASSERT_TRUE(sendAndWait(calls::revive({"coral"})).ok());
  ASSERT_TRUE(sendAndWait(calls::kill("ghost.1", std::nullopt)).ok());
  ASSERT_TRUE(runUntil([&] { return count(Event::UPDATE) == 1; }));
  const auto decline = master->callsOfType(Call::DECLINE).at(0);
  EXPECT_DOUBLE_EQ(decline.call.decline().filters().refuse_seconds(), 3600);
  EXPECT_TRUE(master->outstandingOfferIds().empty());
}

TEST_P(MasterConnectionTest, FollowsASchemeLessRedirectToTheLeader) {
  TestMaster leader(io, masterOptions("leader"));
  master->redirectTo(leader.endpoint());
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  EXPECT_EQ(connection->master(), leader.endpoint());
  EXPECT_EQ(leader.subscribeCount(), 1);
  EXPECT_EQ(master->requestCount(), 1);
  EXPECT_TRUE(sendAndWait(calls::reconcileAll()).ok());
  EXPECT_EQ(leader.callsOfType(Call::RECONCILE).size(), 1u);
}

TEST_P(MasterConnectionTest, MasterFailoverMidStreamResubscribesAtTheNewLeader) {
  TestMaster next(io, masterOptions("next"));
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  const std::string id = *connection->frameworkId();
  master->redirectTo(next.endpoint());  // cuts the stream, then answers 307
  ASSERT_TRUE(runUntil([&] { return subscribed() && connection->master() == next.endpoint(); }));
  EXPECT_EQ(disconnects.size(), 1u);
  const auto resubscribe = next.callsOfType(Call::SUBSCRIBE).at(0);
  EXPECT_EQ(resubscribe.call.framework_id().value(), id);
  EXPECT_EQ(*connection->frameworkId(), id);
  EXPECT_EQ(connection->streamId(), next.streamId());
}

TEST_P(MasterConnectionTest, RetriesA503WithBackoff) {
  master->failNext(3, 503, "No leader elected");
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  EXPECT_EQ(master->requestCount(), 4);
  // Unscaled policy: 1 s, 2 s, 4 s (random01 = 1 -> the full ceiling).
  std::vector<Duration> backoffs;
  for (auto d : timers.requested)
    if (d.count() < 75000) backoffs.push_back(d);
  ASSERT_GE(backoffs.size(), 3u);
  EXPECT_EQ(backoffs[0], Duration(1000));
  EXPECT_EQ(backoffs[1], Duration(2000));
  EXPECT_EQ(backoffs[2], Duration(4000));
}

TEST_P(MasterConnectionTest, CallsAnswered503AreRetried) {
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  master->failNext(2, 503, "Master has not finished recovery");
  EXPECT_TRUE(sendAndWait(calls::reconcileAll()).ok());
  EXPECT_EQ(master->callsOfType(Call::RECONCILE).size(), 1u);
}

TEST_P(MasterConnectionTest, BadCredentialsStopWithAClearError) {
  master.reset();
  auto options = masterOptions();
  options.credentials = std::make_pair(std::string("coral"), std::string("right"));
  master = std::make_unique<TestMaster>(io, options);
  auto client = clientOptions(masterFlag(*master));
  client.credentials = Credentials{"coral", "wrong"};
  connect(std::move(client));
  ASSERT_TRUE(runUntil([&] { return fatal.has_value(); }));
  EXPECT_NE(fatal->message.find("401"), std::string::npos) << fatal->message;
  EXPECT_NE(fatal->message.find("--principal"), std::string::npos) << fatal->message;
  EXPECT_EQ(connection->state(), MasterConnection::State::kStopped);
  io.run_for(std::chrono::milliseconds(100));
  EXPECT_EQ(master->requestCount(), 1) << "no retries after 401";
}

TEST_P(MasterConnectionTest, RightCredentialsAreSentOnEveryRequest) {
  master.reset();
  auto options = masterOptions();
  options.credentials = std::make_pair(std::string("coral"), std::string("right"));
  master = std::make_unique<TestMaster>(io, options);
  auto client = clientOptions(masterFlag(*master));
  client.credentials = Credentials{"coral", "right"};
  connect(std::move(client));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  EXPECT_TRUE(sendAndWait(calls::reconcileAll()).ok());
  EXPECT_EQ(master->lastAuthorization(), Credentials({"coral", "right"}).authorizationHeader());
}

TEST_P(MasterConnectionTest, HeartbeatLossReconnects) {
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  io.run_for(std::chrono::milliseconds(300));
  ASSERT_GE(count(Event::HEARTBEAT), 2);
  EXPECT_TRUE(disconnects.empty()) << "heartbeats keep the subscription";
  master->goSilent();
  ASSERT_TRUE(runUntil([&] { return disconnects.size() == 1; }));
  EXPECT_NE(disconnects[0].find("no event"), std::string::npos) << disconnects[0];
  ASSERT_TRUE(runUntil([&] { return subscribed() && master->subscribeCount() == 2; }));
  EXPECT_EQ(*connection->frameworkId(), master->frameworkId());
}

TEST_P(MasterConnectionTest, StreamCutInsideARecordDropsThePartialEventAndReconnects) {
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed() && count(Event::HEARTBEAT) >= 1; }));
  master->dropStreamMidRecord();
  ASSERT_TRUE(runUntil([&] { return disconnects.size() == 1; }));
  EXPECT_NE(disconnects[0].find("inside a record"), std::string::npos) << disconnects[0];
  const std::size_t before = events.size();
  ASSERT_TRUE(runUntil([&] { return subscribed() && master->subscribeCount() == 2; }));
  ASSERT_GT(events.size(), before);
  EXPECT_EQ(events[before].type(), Event::SUBSCRIBED) << "the cut HEARTBEAT was not delivered";
}

TEST_P(MasterConnectionTest, CallsBeforeSubscribedFailWithoutTouchingTheMaster) {
  connect(clientOptions(masterFlag(*master)));
  std::optional<Status> result;
  connection->send(calls::reconcileAll(), [&](Status s) { result = std::move(s); });
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  EXPECT_FALSE(result->ok());
  EXPECT_NE(result->message().find("not subscribed"), std::string::npos);
  EXPECT_TRUE(master->callsOfType(Call::RECONCILE).empty());
}

TEST_P(MasterConnectionTest, ErrorEventStopsInsteadOfFightingAnotherInstance) {
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  master->sendError("Framework failed over");
  ASSERT_TRUE(runUntil([&] { return fatal.has_value(); }));
  EXPECT_NE(fatal->message.find("Framework failed over"), std::string::npos);
  EXPECT_EQ(count(Event::ERROR), 1);
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(master->subscribeCount(), 1);
}

TEST_P(MasterConnectionTest, RemovedFrameworkIsFatalAndNamesTheStateFile) {
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  master->removeFramework(*connection->frameworkId());  // ends the stream
  ASSERT_TRUE(runUntil([&] { return fatal.has_value(); }));
  EXPECT_NE(fatal->message.find("Framework has been removed"), std::string::npos) << fatal->message;
  EXPECT_NE(fatal->message.find("framework_id"), std::string::npos) << fatal->message;
}

TEST_P(MasterConnectionTest, TeardownStopsAndForgetsTheFrameworkId) {
  connect(clientOptions(masterFlag(*master)));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  std::optional<Status> result;
  connection->teardown([&](Status s) { result = std::move(s); });
  ASSERT_TRUE(runUntil([&] { return result.has_value(); }));
  EXPECT_TRUE(result->ok()) << result->message();
  EXPECT_EQ(connection->state(), MasterConnection::State::kStopped);
  EXPECT_FALSE(FrameworkIdStore(stateDir).load()->has_value());
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(master->subscribeCount(), 1) << "no re-subscribe after TEARDOWN";
  EXPECT_TRUE(disconnects.empty());
}

TEST_P(MasterConnectionTest, TriesEachMasterOfAList) {
  asio::ip::tcp::acceptor closed(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto deadPort = closed.local_endpoint().port();
  closed.close();
  connect(clientOptions("http://127.0.0.1:" + std::to_string(deadPort) + "," +
                        master->endpoint().toString()));
  ASSERT_TRUE(runUntil([&] { return subscribed(); }));
  EXPECT_EQ(connection->master(), master->endpoint());
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, MasterConnectionTest,
                         ::testing::Values(ContentType::kProtobuf, ContentType::kJson),
                         [](const auto& info) { return std::string(contentTypeName(info.param)); });

}  // namespace
}  // namespace coral::mesos

namespace coral::mesos {
namespace {

// The test master must catch the classic client mistakes (facts sheet §7),
// or the tests above would prove nothing.
class StrictTestMasterTest : public ::testing::Test {
 protected:
  testing::TestMaster::Options options() {
    testing::TestMaster::Options o;
    o.heartbeatPeriod = std::chrono::milliseconds(1000);
    return o;
  }

  // Sends `body` as a raw call and returns the HTTP status.
  unsigned post(const Endpoint& to, const std::string& body, ContentType type,
                std::optional<std::string> streamId = std::nullopt) {
    SchedulerRequest request;
    request.master = to;
    request.body = body;
    request.contentType = type;
    request.streamId = std::move(streamId);
    std::optional<Result<SchedulerResponse>> answer;
    auto call = HttpCall::start(io, request, Duration(5000),
                                [&](Result<SchedulerResponse> r) { answer = std::move(r); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!answer && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(std::chrono::milliseconds(2));
    }
    return answer && answer->ok() ? (*answer)->status : 0;
  }

  // Subscribes with a real connection and returns it.
  std::unique_ptr<MasterConnection> subscribe(testing::TestMaster& master) {
    FrameworkConfig config;
    config.user = "root";
    config.roles = {"coral"};
    MasterConnectionOptions o;
    o.detector = makeLeaderDetector(io, *parseMasterSpec(master.endpoint().toString()));
    o.frameworkInfo = *buildFrameworkInfo(config);
    o.contentType = ContentType::kJson;
    auto connection =
        std::make_unique<MasterConnection>(io, std::move(o), MasterConnectionHandlers{});
    EXPECT_TRUE(connection->start().ok());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (connection->state() != MasterConnection::State::kSubscribed &&
           std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_for(std::chrono::milliseconds(2));
    }
    return connection;
  }

  asio::io_context io;
};

TEST_F(StrictTestMasterTest, RejectsSubscribeWithAStreamId) {
  testing::TestMaster master(io, options());
  FrameworkConfig config;
  config.user = "root";
  config.roles = {"r"};
  const std::string body =
      *encodeCall(calls::subscribe(*buildFrameworkInfo(config)), ContentType::kJson);
  unsigned status = 0;
  EXPECT_NONFATAL_FAILURE(status = post(master.endpoint(), body, ContentType::kJson, "some-stream"),
                          "SUBSCRIBE carried a Mesos-Stream-Id");
  EXPECT_EQ(status, 400u);
}

TEST_F(StrictTestMasterTest, RejectsCamelCaseAndUnknownJsonFields) {
  testing::TestMaster master(io, options());
  unsigned status = 0;
  EXPECT_NONFATAL_FAILURE(
      status = post(master.endpoint(),
                    R"({"type":"RECONCILE","frameworkId":{"value":"x"},"reconcile":{}})",
                    ContentType::kJson),
      "unknown field 'frameworkId'");
  EXPECT_EQ(status, 400u);
  EXPECT_NONFATAL_FAILURE(post(master.endpoint(), R"({"type":1})", ContentType::kJson),
                          "enum must be a string");
}

TEST_F(StrictTestMasterTest, RejectsCallsWithoutStreamIdAndReusedOffersAndUnknownAcks) {
  testing::TestMaster master(io, options());
  master.addAgent("agent-0", 1, 128, {{31000, 31000}});
  auto connection = subscribe(master);
  ASSERT_EQ(connection->state(), MasterConnection::State::kSubscribed);
  auto reconcile = calls::reconcileAll();
  reconcile.mutable_framework_id()->set_value(master.frameworkId());
  EXPECT_NONFATAL_FAILURE(post(master.endpoint(), *encodeCall(reconcile, ContentType::kProtobuf),
                               ContentType::kProtobuf),
                          "without Mesos-Stream-Id");

  v1::TaskStatus bogus;
  bogus.mutable_task_id()->set_value("t.1");
  bogus.mutable_agent_id()->set_value("agent-0");
  bogus.set_uuid("0123456789abcdef");
  auto ack = *calls::acknowledge(bogus);
  ack.mutable_framework_id()->set_value(master.frameworkId());
  EXPECT_NONFATAL_FAILURE(post(master.endpoint(), *encodeCall(ack, ContentType::kJson),
                               ContentType::kJson, master.streamId()),
                          "uuid the master never sent");

  master.sendOffers();
  io.run_for(std::chrono::milliseconds(20));
  ASSERT_EQ(master.outstandingOfferIds().size(), 1u);
  v1::OfferID offer;
  offer.set_value(master.outstandingOfferIds()[0]);
  auto decline = calls::decline({offer}, 60);
  decline.mutable_framework_id()->set_value(master.frameworkId());
  EXPECT_EQ(post(master.endpoint(), *encodeCall(decline, ContentType::kJson), ContentType::kJson,
                 master.streamId()),
            202u);
  EXPECT_NONFATAL_FAILURE(post(master.endpoint(), *encodeCall(decline, ContentType::kJson),
                               ContentType::kJson, master.streamId()),
                          "not outstanding");
}

TEST_F(StrictTestMasterTest, RejectsResourcesAndHostPortsNotInTheOffer) {
  testing::TestMaster master(io, options());
  master.addAgent("agent-0", 1, 128, {{31000, 31000}});
  auto connection = subscribe(master);
  master.sendOffers();
  io.run_for(std::chrono::milliseconds(20));
  ASSERT_EQ(master.outstandingOfferIds().size(), 1u);
  v1::Offer offer;
  offer.mutable_id()->set_value(master.outstandingOfferIds()[0]);
  offer.mutable_agent_id()->set_value("agent-0");
  offer.mutable_allocation_info()->set_role("coral");
  for (auto [name, value] : {std::pair<const char*, double>{"cpus", 1}, {"mem", 128}}) {
    auto* r = offer.add_resources();
    r->set_name(name);
    r->set_type(v1::Value::SCALAR);
    r->mutable_scalar()->set_value(value);
    r->mutable_allocation_info()->set_role("coral");
  }
  auto* ports = offer.add_resources();  // a lie: the master offered 31000 only
  ports->set_name("ports");
  ports->set_type(v1::Value::RANGES);
  auto* range = ports->mutable_ranges()->add_range();
  range->set_begin(8888);
  range->set_end(8888);
  ports->mutable_allocation_info()->set_role("coral");
  OfferResources resources(offer);
  NodeLaunchSpec spec;
  spec.node = "n";
  spec.image = "i";
  spec.network = "calico";
  spec.cpus = 1;
  spec.memMb = 128;
  spec.ports = {{8888, 8888}};
  auto task = buildNodeTask(spec, resources);
  ASSERT_TRUE(task.ok()) << task.message();
  auto accept = calls::accept({offer.id()}, {*task}, 5);
  accept.mutable_framework_id()->set_value(master.frameworkId());
  EXPECT_NONFATAL_FAILURE(
      {
        post(master.endpoint(), *encodeCall(accept, ContentType::kJson), ContentType::kJson,
             master.streamId());
        io.run_for(std::chrono::milliseconds(20));
      },
      "are not in the offer");
  EXPECT_TRUE(master.launchedTasks().empty());
}

}  // namespace
}  // namespace coral::mesos
