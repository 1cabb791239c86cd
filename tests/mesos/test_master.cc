#include "test_master.h"

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <random>

#include "mesos/framework_info.h"
#include "mesos/recordio.h"
#include "strict_decode.h"

namespace coral::mesos::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using v1::scheduler::Call;
using v1::scheduler::Event;

namespace {

struct PortRange {
  std::uint64_t begin;
  std::uint64_t end;
};

// Removes [b,e] from `ranges`; false when it is not entirely inside.
bool subtractRange(std::vector<PortRange>& ranges, std::uint64_t b, std::uint64_t e) {
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    PortRange r = ranges[i];
    if (b < r.begin || e > r.end) continue;
    ranges.erase(ranges.begin() + static_cast<long>(i));
    if (r.begin < b) ranges.push_back({r.begin, b - 1});
    if (e < r.end) ranges.push_back({e + 1, r.end});
    return true;
  }
  return false;
}

struct Pool {
  double cpus = 0;
  double mem = 0;
  std::vector<PortRange> ports;
};

std::string describe(const Pool& pool) {
  std::string ports;
  for (const auto& r : pool.ports)
    ports += (ports.empty() ? "" : ",") + std::to_string(r.begin) + "-" + std::to_string(r.end);
  return "cpus:" + std::to_string(pool.cpus) + ";mem:" + std::to_string(pool.mem) + ";ports:[" +
         ports + "]";
}

}  // namespace

struct Session;

struct Agent {
  std::string id;
  Pool free;
  bool offered = false;
  std::string urlIp;  // Offer.url, when set: http://ip:port/slave(1)
  int urlPort = 0;
};

struct OfferRecord {
  std::string agentId;
  std::string role;
  Pool pool;
};

struct Framework {
  std::string id;
  v1::FrameworkInfo info;
  ContentType contentType = ContentType::kJson;
  std::string streamId;
  std::weak_ptr<Session> stream;
  bool connected = false;
};

struct TestMaster::State : std::enable_shared_from_this<TestMaster::State> {
  State(asio::io_context& io, Options options)
      : io(io),
        options(std::move(options)),
        acceptor(io),
        heartbeat(io),
        random(std::random_device{}()) {}

  asio::io_context& io;
  Options options;
  tcp::acceptor acceptor;
  asio::steady_timer heartbeat;
  std::mt19937_64 random;
  std::set<std::shared_ptr<Session>> sessions;

  std::vector<ReceivedCall> calls;
  int subscribes = 0;
  int requests = 0;
  std::optional<Framework> framework;
  std::set<std::string> removedFrameworks;
  int frameworkCounter = 0;
  std::map<std::string, Agent> agents;
  std::map<std::string, OfferRecord> offers;  // outstanding
  std::set<std::string> usedOfferIds;
  int offerCounter = 0;
  std::map<std::string, v1::TaskInfo> launched;
  std::map<std::string, v1::TaskStatus> lastStatus;
  std::map<std::string, std::string> pendingAcks;  // uuid -> task id
  std::size_t acked = 0;
  std::optional<v1::FrameworkInfo> lastFrameworkInfo;
  std::optional<std::string> lastAuthorization;
  std::optional<Endpoint> redirect;
  int failCount = 0;
  unsigned failStatus = 503;
  std::string failBody;
  bool silent = false;

  std::string newUuidString() {
    std::uniform_int_distribution<int> hex(0, 15);
    std::string out;
    for (int i = 0; i < 32; ++i) {
      if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
      out += "0123456789abcdef"[hex(random)];
    }
    return out;
  }
  std::string newUuidBytes() {
    std::string out(16, '\0');
    for (auto& c : out) c = static_cast<char>(random() & 0xff);
    return out;
  }

  void handle(const std::shared_ptr<Session>& session, http::request<http::string_body>& request);
  void startHeartbeats();
  bool sendEvent(const Event& event);
  void endStream(const std::string& errorMessage);
  void sendStatus(const v1::TaskStatus& status);
  v1::TaskStatus makeStatus(const std::string& taskId, v1::TaskState state, bool withUuid,
                            const std::string& ip, v1::TaskStatus::Source source);
  void handleAccept(const Call& call);
  void handleCall(const std::shared_ptr<Session>& session,
                  const http::request<http::string_body>& request, ReceivedCall& received);
};

struct Session : std::enable_shared_from_this<Session> {
  Session(tcp::socket socket, std::weak_ptr<TestMaster::State> master)
      : socket(std::move(socket)), master(std::move(master)) {}

  tcp::socket socket;
  std::weak_ptr<TestMaster::State> master;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  bool isStream = false;
  bool ended = false;  // stream: last chunk written
  std::deque<std::string> outbox;
  bool writing = false;
  bool closeAfterWrite = false;
  std::array<char, 1024> probe{};

  void close() {
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    if (auto state = master.lock()) state->sessions.erase(shared_from_this());
  }

  void readRequest() {
    request = {};
    http::async_read(socket, buffer, request,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       auto state = self->master.lock();
                       if (!state) return;
                       if (ec) return self->close();
                       ++state->requests;
                       state->handle(self, self->request);
                     });
  }

  void respond(unsigned status, std::string body,
               std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto response =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    response->set(http::field::date, "Thu, 03 Dec 2026 16:36:22 GMT");
    if (!body.empty()) response->set(http::field::content_type, "text/plain; charset=utf-8");
    for (const auto& [k, v] : headers) response->set(k, v);
    response->body() = std::move(body);
    response->prepare_payload();
    http::async_write(socket, *response,
                      [self = shared_from_this(), response](beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        self->readRequest();  // keep-alive like libprocess
                      });
  }

  // Turns the connection into an event stream.
  void startStream(const std::string& streamId, ContentType type) {
    isStream = true;
    std::string head =
        "HTTP/1.1 200 OK\r\nDate: Thu, 03 Dec 2026 16:36:22 GMT\r\n"
        "Transfer-Encoding: chunked\r\nMesos-Stream-Id: " +
        streamId + "\r\nContent-Type: " + std::string(mediaType(type)) + "\r\n\r\n";
    enqueue(std::move(head));
    if (buffer.size() > 0)
      ADD_FAILURE() << "client sent bytes after SUBSCRIBE on the subscription connection";
    watchForClientBytes();
  }

  // The client must never write on the subscription connection again.
  void watchForClientBytes() {
    socket.async_read_some(
        asio::buffer(probe), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
          if (ec) {
            // The client closed its subscription: the framework is disconnected.
            if (auto state = self->master.lock();
                state && state->framework && state->framework->stream.lock() == self) {
              state->framework->connected = false;
              state->framework->stream.reset();
              state->offers.clear();
              for (auto& [id, agent] : state->agents) agent.offered = false;
            }
            if (!self->writing) self->close();
            return;
          }
          if (n > 0) {
            ADD_FAILURE() << "client sent a request on the subscription connection: "
                          << std::string(self->probe.data(), std::min<std::size_t>(n, 80));
          }
          self->watchForClientBytes();
        });
  }

  void sendChunk(std::string_view data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    enqueue(std::string(size) + std::string(data) + "\r\n");
  }

  void enqueue(std::string bytes) {
    outbox.push_back(std::move(bytes));
    flush();
  }

  void flush() {
    if (writing || outbox.empty()) return;
    writing = true;
    asio::async_write(socket, asio::buffer(outbox.front()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing = false;
                        if (ec) return self->close();
                        self->outbox.pop_front();
                        if (self->outbox.empty() && self->closeAfterWrite) return self->close();
                        self->flush();
                      });
  }
};

// ---------------------------------------------------------------------------

void TestMaster::State::startHeartbeats() {
  heartbeat.expires_after(options.heartbeatPeriod);
  heartbeat.async_wait([weak = weak_from_this()](beast::error_code ec) {
    auto self = weak.lock();
    if (!self || ec) return;
    Event event;
    event.set_type(Event::HEARTBEAT);
    self->sendEvent(event);
    self->startHeartbeats();
  });
}

bool TestMaster::State::sendEvent(const Event& event) {
  if (!framework || silent) return false;
  auto session = framework->stream.lock();
  if (!session || session->ended) return false;
  auto encoded = encodeMessage(event, framework->contentType);
  if (!encoded) {
    ADD_FAILURE() << "test master cannot encode event: " << encoded.message();
    return false;
  }
  session->sendChunk(encodeRecord(*encoded));
  return true;
}

void TestMaster::State::endStream(const std::string& errorMessage) {
  if (!framework) return;
  auto session = framework->stream.lock();
  if (!errorMessage.empty()) {
    Event error;
    error.set_type(Event::ERROR);
    error.mutable_error()->set_message(errorMessage);
    sendEvent(error);
  }
  if (session && !session->ended) {
    // Like Mesos: the last chunk, and the TCP connection stays open.
    session->enqueue("0\r\n\r\n");
    session->ended = true;
  }
  framework->connected = false;
  framework->stream.reset();
  framework->streamId.clear();
  // Outstanding offers die with the subscription (no RESCIND).
  for (auto& [id, offer] : offers) agents[offer.agentId].offered = false;
  offers.clear();
}

v1::TaskStatus TestMaster::State::makeStatus(const std::string& taskId, v1::TaskState state,
                                             bool withUuid, const std::string& ip,
                                             v1::TaskStatus::Source source) {
  v1::TaskStatus status;
  status.mutable_task_id()->set_value(taskId);
  status.set_state(state);
  status.set_source(source);
  status.set_timestamp(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  auto task = launched.find(taskId);
  if (task != launched.end()) {
    *status.mutable_agent_id() = task->second.agent_id();
    if (source == v1::TaskStatus::SOURCE_EXECUTOR) status.mutable_executor_id()->set_value(taskId);
    if (!ip.empty() && task->second.container().network_infos_size() > 0) {
      auto* network = status.mutable_container_status()->add_network_infos();
      *network = task->second.container().network_infos(0);
      auto* address = network->add_ip_addresses();
      address->set_protocol(v1::NetworkInfo::IPv4);
      address->set_ip_address(ip);
    }
  }
  if (withUuid) {
    status.set_uuid(newUuidBytes());
    pendingAcks[status.uuid()] = taskId;
  }
  return status;
}

void TestMaster::State::sendStatus(const v1::TaskStatus& status) {
  lastStatus[status.task_id().value()] = status;
  Event event;
  event.set_type(Event::UPDATE);
  *event.mutable_update()->mutable_status() = status;
  sendEvent(event);
}

void TestMaster::State::handle(const std::shared_ptr<Session>& session,
                               http::request<http::string_body>& request) {
  if (request.method() != http::verb::post) {
    ADD_FAILURE() << "client used " << request.method_string() << " instead of POST";
    return session->respond(405,
                            "405 Method Not Allowed. Expecting one of { 'POST' }, but received '" +
                                std::string(request.method_string()) + "'.",
                            {{"Allow", "POST"}});
  }
  if (std::string_view(request.target().data(), request.target().size()) != kSchedulerPath) {
    ADD_FAILURE() << "client posted to " << request.target();
    return session->respond(404, "");
  }
  if (failCount > 0) {
    --failCount;
    return session->respond(failStatus, failBody);
  }
  if (redirect) {
    return session->respond(
        307, "", {{"Location", "//" + redirect->toString() + std::string(kSchedulerPath)}});
  }
  if (options.credentials) {
    const std::string expected =
        Credentials{options.credentials->first, options.credentials->second}.authorizationHeader();
    const std::string got(request[http::field::authorization]);
    lastAuthorization = got;
    if (got != expected) {
      return session->respond(401, "",
                              {{"WWW-Authenticate", "Basic realm=\"mesos-master-scheduler\""}});
    }
  }
  const auto contentTypeHeader = request[http::field::content_type];
  if (contentTypeHeader.empty()) {
    ADD_FAILURE() << "request without Content-Type";
    return session->respond(400, "Expecting 'Content-Type' to be present");
  }
  std::optional<ContentType> contentType;
  if (contentTypeHeader == "application/json") contentType = ContentType::kJson;
  if (contentTypeHeader == "application/x-protobuf") contentType = ContentType::kProtobuf;
  if (!contentType) {
    ADD_FAILURE() << "Content-Type '" << contentTypeHeader << "' is not exactly a Mesos media type";
    return session->respond(
        415, "Expecting 'Content-Type' of application/json or application/x-protobuf");
  }
  ReceivedCall received;
  received.contentType = *contentType;
  received.streamIdHeader = std::string(request["Mesos-Stream-Id"]);
  if (auto parsed = strictDecode(request.body(), *contentType, &received.call); !parsed) {
    ADD_FAILURE() << "strict test master rejected a call: " << parsed.message()
                  << "\nbody: " << request.body();
    return session->respond(400, parsed.message());
  }
  handleCall(session, request, received);
}

void TestMaster::State::handleCall(const std::shared_ptr<Session>& session,
                                   const http::request<http::string_body>& request,
                                   ReceivedCall& received) {
  const Call& call = received.call;
  auto answer = [&](unsigned status, std::string body = "") {
    received.answeredStatus = status;
    calls.push_back(received);
    session->respond(status, std::move(body));
  };
  if (!call.has_type() || call.type() == Call::UNKNOWN) {
    ADD_FAILURE() << "call without type";
    return answer(400, "Failed to validate scheduler::Call: Expecting 'type' to be present");
  }
  if (call.type() == Call::SUBSCRIBE) {
    if (!received.streamIdHeader.empty()) {
      ADD_FAILURE() << "SUBSCRIBE carried a Mesos-Stream-Id header";
      return answer(400, "Subscribe calls should not include the 'Mesos-Stream-Id' header");
    }
    const auto accept = request[http::field::accept];
    if (std::string_view(accept.data(), accept.size()) != mediaType(received.contentType)) {
      ADD_FAILURE() << "SUBSCRIBE Accept '" << accept << "' differs from its Content-Type";
    }
    if (!call.has_subscribe())
      return answer(400, "Failed to validate scheduler::Call: Expecting 'subscribe' to be present");
    const auto& info = call.subscribe().framework_info();
    if (call.has_framework_id() != info.has_id() ||
        (call.has_framework_id() && call.framework_id().value() != info.id().value())) {
      ADD_FAILURE() << "SUBSCRIBE framework_id differs from framework_info.id";
      return answer(400,
                    "Failed to validate scheduler::Call: 'framework_id' differs from "
                    "'subscribe.framework_info.id'");
    }
    // Classic mistakes (facts sheet §7) that a real master accepts.
    if (info.user().empty()) ADD_FAILURE() << "FrameworkInfo.user is empty";
    if (info.roles_size() == 0) ADD_FAILURE() << "FrameworkInfo has no roles";
    if (info.has_role()) ADD_FAILURE() << "FrameworkInfo uses the deprecated singular role";
    bool multiRole = false;
    for (const auto& c : info.capabilities())
      multiRole |= c.type() == v1::FrameworkInfo::Capability::MULTI_ROLE;
    if (!multiRole) ADD_FAILURE() << "FrameworkInfo lacks the MULTI_ROLE capability";
    if (!info.checkpoint()) ADD_FAILURE() << "FrameworkInfo.checkpoint is false";
    if (!(info.failover_timeout() > 0)) ADD_FAILURE() << "FrameworkInfo.failover_timeout is 0";
    lastFrameworkInfo = info;

    std::string id;
    if (info.has_id()) {
      id = info.id().value();
    } else {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s-%04d", options.masterId.c_str(), frameworkCounter++);
      id = buf;
    }
    // A second SUBSCRIBE of the same framework: the old stream gets ERROR.
    if (framework && framework->id == id && framework->connected)
      endStream("Framework failed over");
    received.answeredStatus = 200;
    calls.push_back(received);
    ++subscribes;
    Framework fw;
    fw.id = id;
    fw.info = info;
    fw.info.mutable_id()->set_value(id);
    fw.contentType = received.contentType;
    fw.streamId = newUuidString();
    fw.stream = session;
    fw.connected = true;
    framework = fw;
    session->startStream(fw.streamId, fw.contentType);
    silent = false;  // goSilent() affects the subscription it was called on
    if (removedFrameworks.count(id)) {
      endStream("Framework has been removed");
      framework.reset();
      return;
    }
    Event subscribed;
    subscribed.set_type(Event::SUBSCRIBED);
    subscribed.mutable_subscribed()->mutable_framework_id()->set_value(id);
    subscribed.mutable_subscribed()->set_heartbeat_interval_seconds(
        options.heartbeatIntervalSeconds);
    auto* masterInfo = subscribed.mutable_subscribed()->mutable_master_info();
    masterInfo->set_id(options.masterId);
    masterInfo->set_ip(16777343);
    masterInfo->set_port(acceptor.local_endpoint().port());
    masterInfo->set_hostname("127.0.0.1");
    masterInfo->set_version("1.12.0");
    masterInfo->mutable_address()->set_ip("127.0.0.1");
    masterInfo->mutable_address()->set_port(acceptor.local_endpoint().port());
    sendEvent(subscribed);
    Event heartbeatEvent;
    heartbeatEvent.set_type(Event::HEARTBEAT);
    sendEvent(heartbeatEvent);
    for (auto& [agentId, agent] : agents) agent.offered = false;
    offers.clear();
    return;
  }

  // Non-SUBSCRIBE calls: subscription check first, then the stream ID (the
  // order the recorded master uses).
  if (!call.has_framework_id()) {
    ADD_FAILURE() << Call::Type_Name(call.type()) << " without framework_id";
    return answer(400,
                  "Failed to validate scheduler::Call: Expecting 'framework_id' to be present");
  }
  if (!framework || framework->id != call.framework_id().value()) {
    return answer(400, "Framework cannot be found");
  }
  if (!framework->connected) return answer(403, "Framework is not subscribed");
  if (received.streamIdHeader.empty()) {
    ADD_FAILURE() << Call::Type_Name(call.type()) << " without Mesos-Stream-Id";
    return answer(400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
  }
  if (received.streamIdHeader != framework->streamId) {
    ADD_FAILURE() << Call::Type_Name(call.type()) << " with a stale Mesos-Stream-Id "
                  << received.streamIdHeader;
    return answer(400, "The stream ID '" + received.streamIdHeader +
                           "' included in this request didn't match the stream ID currently "
                           "associated with framework ID " +
                           framework->id);
  }
  auto requireField = [&](bool present, const char* field) {
    if (present) return true;
    ADD_FAILURE() << Call::Type_Name(call.type()) << " without '" << field << "'";
    answer(400, std::string("Failed to validate scheduler::Call: Expecting '") + field +
                    "' to be present");
    return false;
  };
  switch (call.type()) {
    case Call::ACCEPT:
      if (!requireField(call.has_accept(), "accept")) return;
      answer(202);
      return handleAccept(call);
    case Call::DECLINE:
      if (!requireField(call.has_decline(), "decline")) return;
      for (const auto& id : call.decline().offer_ids()) {
        auto offer = offers.find(id.value());
        if (offer == offers.end()) {
          ADD_FAILURE() << "DECLINE of offer " << id.value() << " that is not outstanding";
          continue;
        }
        agents[offer->second.agentId].offered = false;
        usedOfferIds.insert(id.value());
        offers.erase(offer);
      }
      if (!call.decline().has_filters())
        ADD_FAILURE() << "DECLINE without filters (default refuse is 5 s: offer storm)";
      return answer(202);
    case Call::ACKNOWLEDGE: {
      if (!requireField(call.has_acknowledge(), "acknowledge")) return;
      const auto& ack = call.acknowledge();
      if (ack.uuid().empty()) {
        ADD_FAILURE() << "ACKNOWLEDGE with an empty uuid";
        return answer(400, "Failed to validate scheduler::Call: Not a valid UUID");
      }
      auto pending = pendingAcks.find(ack.uuid());
      if (pending == pendingAcks.end()) {
        ADD_FAILURE() << "ACKNOWLEDGE of task " << ack.task_id().value()
                      << " with a uuid the master never sent (or sent twice)";
      } else {
        if (pending->second != ack.task_id().value())
          ADD_FAILURE() << "ACKNOWLEDGE uuid belongs to another task";
        auto task = launched.find(ack.task_id().value());
        if (task != launched.end() && task->second.agent_id().value() != ack.agent_id().value()) {
          ADD_FAILURE() << "ACKNOWLEDGE with the wrong agent_id";
        }
        pendingAcks.erase(pending);
        ++acked;
      }
      return answer(202);
    }
    case Call::RECONCILE: {
      if (!requireField(call.has_reconcile(), "reconcile")) return;
      answer(202);
      std::vector<std::string> ids;
      for (const auto& t : call.reconcile().tasks()) ids.push_back(t.task_id().value());
      if (ids.empty())
        for (const auto& [id, task] : launched) ids.push_back(id);
      for (const auto& id : ids) {
        auto last = lastStatus.find(id);
        v1::TaskStatus status;
        if (launched.count(id)) {
          status =
              makeStatus(id, last != lastStatus.end() ? last->second.state() : v1::TASK_STAGING,
                         false, "", v1::TaskStatus::SOURCE_MASTER);
          status.set_message("Reconciliation: Latest task state");
        } else {
          status = makeStatus(id, v1::TASK_LOST, false, "", v1::TaskStatus::SOURCE_MASTER);
          status.set_message("Reconciliation: Task is unknown");
        }
        status.set_reason(v1::TaskStatus::REASON_RECONCILIATION);
        Event event;
        event.set_type(Event::UPDATE);
        *event.mutable_update()->mutable_status() = status;
        sendEvent(event);
      }
      return;
    }
    case Call::KILL: {
      if (!requireField(call.has_kill(), "kill")) return;
      answer(202);
      const std::string id = call.kill().task_id().value();
      if (launched.count(id)) {
        sendStatus(makeStatus(id, v1::TASK_KILLED, true, "", v1::TaskStatus::SOURCE_EXECUTOR));
      } else {
        auto status = makeStatus(id, v1::TASK_LOST, false, "", v1::TaskStatus::SOURCE_MASTER);
        status.set_reason(v1::TaskStatus::REASON_RECONCILIATION);
        status.set_message("Reconciliation: Task is unknown to the agent");
        sendStatus(status);
      }
      return;
    }
    case Call::SUPPRESS:
    case Call::REVIVE: {
      const bool suppress = call.type() == Call::SUPPRESS;
      if (!requireField(suppress ? call.has_suppress() : call.has_revive(),
                        suppress ? "suppress" : "revive"))
        return;
      const auto& roles = suppress ? call.suppress().roles() : call.revive().roles();
      for (const auto& role : roles) {
        bool known = false;
        for (const auto& r : framework->info.roles()) known |= r == role;
        if (!known)
          ADD_FAILURE() << Call::Type_Name(call.type()) << " for role '" << role
                        << "' the framework is not subscribed to (the master drops it)";
      }
      return answer(202);
    }
    case Call::TEARDOWN: {
      // The recorded master ends the stream before the 202 arrives.
      const std::string id = framework->id;
      endStream("");
      removedFrameworks.insert(id);
      framework.reset();
      return answer(202);
    }
    default:
      return answer(202);
  }
}

void TestMaster::State::handleAccept(const Call& call) {
  const auto& accept = call.accept();
  std::vector<const v1::TaskInfo*> tasks;
  for (const auto& operation : accept.operations()) {
    if (operation.type() != v1::Offer::Operation::LAUNCH) {
      ADD_FAILURE() << "test master only supports LAUNCH operations";
      continue;
    }
    for (const auto& task : operation.launch().task_infos()) tasks.push_back(&task);
  }
  auto failAll = [&](v1::TaskState state, v1::TaskStatus::Reason reason,
                     const std::string& message) {
    for (const auto* task : tasks) {
      auto status =
          makeStatus(task->task_id().value(), state, false, "", v1::TaskStatus::SOURCE_MASTER);
      status.set_reason(reason);
      status.set_message(message);
      sendStatus(status);
    }
  };
  if (accept.offer_ids_size() == 0) {
    ADD_FAILURE() << "ACCEPT without offer ids";
    return failAll(v1::TASK_LOST, v1::TaskStatus::REASON_INVALID_OFFERS,
                   "Task launched with no offers");
  }
  Pool pool;
  std::string agentId;
  std::string role;
  std::set<std::string> seen;
  for (const auto& id : accept.offer_ids()) {
    auto offer = offers.find(id.value());
    if (!seen.insert(id.value()).second)
      ADD_FAILURE() << "ACCEPT lists offer " << id.value() << " twice";
    if (offer == offers.end()) {
      ADD_FAILURE() << "ACCEPT of offer " << id.value()
                    << (usedOfferIds.count(id.value()) ? " that was already used"
                                                       : " that was never issued or was rescinded");
      // Release the valid ones, like the master.
      for (const auto& other : accept.offer_ids()) {
        if (auto o = offers.find(other.value()); o != offers.end()) {
          agents[o->second.agentId].offered = false;
          usedOfferIds.insert(other.value());
          offers.erase(o);
        }
      }
      return failAll(
          v1::TASK_LOST, v1::TaskStatus::REASON_INVALID_OFFERS,
          "Task launched with invalid offers: Offer " + id.value() + " is no longer valid");
    }
    if (!agentId.empty() && agentId != offer->second.agentId)
      ADD_FAILURE() << "ACCEPT mixes offers of two agents";
    if (!role.empty() && role != offer->second.role)
      ADD_FAILURE() << "ACCEPT mixes offers of two roles";
    agentId = offer->second.agentId;
    role = offer->second.role;
    pool.cpus += offer->second.pool.cpus;
    pool.mem += offer->second.pool.mem;
    pool.ports.insert(pool.ports.end(), offer->second.pool.ports.begin(),
                      offer->second.pool.ports.end());
    usedOfferIds.insert(id.value());
    offers.erase(offer);
  }
  Agent& agent = agents[agentId];
  agent.offered = false;

  for (const auto* task : tasks) {
    const std::string id = task->task_id().value();
    std::string error;
    Pool remaining = pool;
    Pool used;
    std::vector<PortRange> taskPorts;
    if (launched.count(id)) error = "Task has duplicate ID: " + id;
    if (error.empty() && task->agent_id().value() != agentId)
      error = "Task uses agent " + task->agent_id().value() + " but the offer is for " + agentId;
    if (error.empty() && task->resources_size() == 0) error = "Task uses no resources";
    for (const auto& r : task->resources()) {
      if (!error.empty()) break;
      if (!r.has_allocation_info() || r.allocation_info().role() != role) {
        error = "resource " + r.name() +
                " does not carry the offer's allocation_info {role: " + role + "}";
      } else if (r.has_role() && r.role() != "*") {
        error = "resource " + r.name() + " has role " + r.role() +
                " but the offered resources are unreserved";
      } else if (r.name() == "cpus" || r.name() == "mem") {
        double& have = r.name() == "cpus" ? remaining.cpus : remaining.mem;
        if (r.type() != v1::Value::SCALAR || r.scalar().value() > have + 1e-9) {
          error = "Total resources " + r.name() + ":" + std::to_string(r.scalar().value()) +
                  " required by task is more than available " + describe(pool);
        } else {
          have -= r.scalar().value();
          (r.name() == "cpus" ? used.cpus : used.mem) += r.scalar().value();
        }
      } else if (r.name() == "ports") {
        for (const auto& range : r.ranges().range()) {
          if (!subtractRange(remaining.ports, range.begin(), range.end())) {
            error = "ports [" + std::to_string(range.begin()) + "-" + std::to_string(range.end()) +
                    "] required by task are not in the offer " + describe(pool);
            break;
          }
          taskPorts.push_back({range.begin(), range.end()});
          used.ports.push_back({range.begin(), range.end()});
        }
      } else {
        error = "resource '" + r.name() + "' is not offered";
      }
    }
    // Host ports of port mappings must be the task's own port resources.
    auto checkHostPort = [&](std::uint32_t port) {
      if (!error.empty()) return;
      for (const auto& r : taskPorts)
        if (r.begin <= port && port <= r.end) return;
      error = "Port mappings require port resources: host port " + std::to_string(port) +
              " not included in resources";
    };
    if (error.empty() && task->has_container()) {
      const auto& container = task->container();
      for (const auto& m : container.docker().port_mappings()) checkHostPort(m.host_port());
      for (const auto& n : container.network_infos())
        for (const auto& m : n.port_mappings()) checkHostPort(m.host_port());
      if (error.empty() && container.type() == v1::ContainerInfo::DOCKER &&
          container.docker().network() == v1::ContainerInfo::DockerInfo::USER &&
          (container.network_infos_size() != 1 || container.network_infos(0).name().empty())) {
        error = "Docker USER network needs exactly one named network_infos entry";
      }
    }
    if (!error.empty()) {
      ADD_FAILURE() << "invalid task " << id << ": " << error;
      auto status = makeStatus(id, v1::TASK_ERROR, false, "", v1::TaskStatus::SOURCE_MASTER);
      status.set_reason(v1::TaskStatus::REASON_TASK_INVALID);
      status.set_message(error);
      sendStatus(status);
      continue;
    }
    pool = remaining;
    launched[id] = *task;
    lastStatus[id] = makeStatus(id, v1::TASK_STAGING, false, "", v1::TaskStatus::SOURCE_MASTER);
    agent.free.cpus -= used.cpus;
    agent.free.mem -= used.mem;
    for (const auto& r : used.ports) subtractRange(agent.free.ports, r.begin, r.end);
  }
  if (!accept.has_filters()) ADD_FAILURE() << "ACCEPT without filters";
}

// ---------------------------------------------------------------------------

TestMaster::TestMaster(asio::io_context& io, Options options)
    : state_(std::make_shared<State>(io, std::move(options))) {
  auto& acceptor = state_->acceptor;
  const tcp::endpoint local(asio::ip::make_address("127.0.0.1"), 0);
  acceptor.open(local.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(local);
  acceptor.listen();
  struct Accept {
    static void next(std::weak_ptr<State> weak) {
      auto state = weak.lock();
      if (!state) return;
      state->acceptor.async_accept([weak](beast::error_code ec, tcp::socket socket) {
        auto state = weak.lock();
        if (!state || ec) return;
        auto session = std::make_shared<Session>(std::move(socket), weak);
        state->sessions.insert(session);
        session->readRequest();
        next(weak);
      });
    }
  };
  Accept::next(state_);
  state_->startHeartbeats();
}

TestMaster::~TestMaster() {
  beast::error_code ignored;
  state_->acceptor.close(ignored);
  state_->heartbeat.cancel();
  auto sessions = state_->sessions;
  for (const auto& s : sessions) s->close();
  state_->sessions.clear();
}

Endpoint TestMaster::endpoint() const {
  return Endpoint{"127.0.0.1", state_->acceptor.local_endpoint().port()};
}

void TestMaster::addAgent(const std::string& agentId, double cpus, double memMb,
                          std::vector<std::pair<std::uint64_t, std::uint64_t>> portRanges) {
  Agent agent;
  agent.id = agentId;
  agent.free.cpus = cpus;
  agent.free.mem = memMb;
  for (const auto& [b, e] : portRanges) agent.free.ports.push_back({b, e});
  state_->agents[agentId] = agent;
}

void TestMaster::setAgentUrl(const std::string& agentId, const std::string& ip, int port) {
  state_->agents[agentId].urlIp = ip;
  state_->agents[agentId].urlPort = port;
}

void TestMaster::sendOffers() {
  auto& s = *state_;
  if (!s.framework || !s.framework->connected) return;
  const std::string role = s.framework->info.roles_size() > 0 ? s.framework->info.roles(0) : "*";
  Event event;
  event.set_type(Event::OFFERS);
  for (auto& [id, agent] : s.agents) {
    if (agent.offered || agent.free.cpus <= 0) continue;
    auto* offer = event.mutable_offers()->add_offers();
    const std::string offerId = s.options.masterId + "-O" + std::to_string(s.offerCounter++);
    offer->mutable_id()->set_value(offerId);
    offer->mutable_framework_id()->set_value(s.framework->id);
    offer->mutable_agent_id()->set_value(id);
    offer->set_hostname(id + ".example");
    if (!agent.urlIp.empty()) {
      auto* url = offer->mutable_url();
      url->set_scheme("http");
      url->mutable_address()->set_hostname(agent.urlIp);
      url->mutable_address()->set_ip(agent.urlIp);
      url->mutable_address()->set_port(agent.urlPort);
      url->set_path("/slave(1)");
    }
    offer->mutable_allocation_info()->set_role(role);
    auto scalar = [&](const char* name, double value) {
      auto* r = offer->add_resources();
      r->set_name(name);
      r->set_type(v1::Value::SCALAR);
      r->mutable_scalar()->set_value(value);
      r->set_role("*");
      r->mutable_allocation_info()->set_role(role);
    };
    scalar("cpus", agent.free.cpus);
    scalar("mem", agent.free.mem);
    if (!agent.free.ports.empty()) {
      auto* r = offer->add_resources();
      r->set_name("ports");
      r->set_type(v1::Value::RANGES);
      for (const auto& range : agent.free.ports) {
        auto* rr = r->mutable_ranges()->add_range();
        rr->set_begin(range.begin);
        rr->set_end(range.end);
      }
      r->set_role("*");
      r->mutable_allocation_info()->set_role(role);
    }
    agent.offered = true;
    s.offers[offerId] = OfferRecord{id, role, agent.free};
  }
  if (event.offers().offers_size() > 0) s.sendEvent(event);
}

std::string TestMaster::pushUpdate(const std::string& taskId, v1::TaskState state, bool withUuid,
                                   const std::string& containerIp) {
  auto status =
      state_->makeStatus(taskId, state, withUuid, containerIp, v1::TaskStatus::SOURCE_EXECUTOR);
  state_->sendStatus(status);
  return status.uuid();
}

void TestMaster::pushHealth(const std::string& taskId, bool healthy) {
  // What an executor's health checker sends: RUNNING with `healthy` and reason.
  auto status = state_->makeStatus(taskId, v1::TASK_RUNNING, true, "", v1::TaskStatus::SOURCE_EXECUTOR);
  status.set_healthy(healthy);
  status.set_reason(v1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED);
  state_->sendStatus(status);
}

void TestMaster::sendHeartbeat() {
  Event event;
  event.set_type(Event::HEARTBEAT);
  state_->sendEvent(event);
}

void TestMaster::rescind(const std::string& offerId) {
  auto& s = *state_;
  auto offer = s.offers.find(offerId);
  if (offer == s.offers.end()) return;
  s.agents[offer->second.agentId].offered = false;
  s.offers.erase(offer);
  Event event;
  event.set_type(Event::RESCIND);
  event.mutable_rescind()->mutable_offer_id()->set_value(offerId);
  s.sendEvent(event);
}

void TestMaster::redirectTo(const Endpoint& leader) {
  state_->redirect = leader;
  if (state_->framework) {
    if (auto session = state_->framework->stream.lock()) session->close();
    state_->framework->connected = false;
  }
}

void TestMaster::dropStreamMidRecord() {
  auto& s = *state_;
  if (!s.framework) return;
  auto session = s.framework->stream.lock();
  if (!session) return;
  Event event;
  event.set_type(Event::HEARTBEAT);
  auto encoded = encodeMessage(event, s.framework->contentType);
  const std::string record = encodeRecord(*encoded);
  // The length line and part of the data, then the connection dies.
  session->sendChunk(std::string_view(record).substr(0, record.size() - 3));
  session->closeAfterWrite = true;
  s.framework->connected = false;
  s.framework->stream.reset();
}

void TestMaster::goSilent() { state_->silent = true; }

void TestMaster::failNext(int n, unsigned status, std::string body) {
  state_->failCount = n;
  state_->failStatus = status;
  state_->failBody = std::move(body);
}

void TestMaster::sendError(const std::string& message) { state_->endStream(message); }

void TestMaster::removeFramework(const std::string& frameworkId) {
  state_->removedFrameworks.insert(frameworkId);
  if (state_->framework && state_->framework->id == frameworkId) {
    state_->endStream("");
    state_->framework.reset();
  }
}

const std::vector<ReceivedCall>& TestMaster::calls() const { return state_->calls; }
std::vector<ReceivedCall> TestMaster::callsOfType(Call::Type type) const {
  std::vector<ReceivedCall> out;
  for (const auto& c : state_->calls)
    if (c.call.type() == type) out.push_back(c);
  return out;
}
int TestMaster::subscribeCount() const { return state_->subscribes; }
int TestMaster::requestCount() const { return state_->requests; }
std::string TestMaster::streamId() const {
  return state_->framework && state_->framework->connected ? state_->framework->streamId : "";
}
std::string TestMaster::frameworkId() const {
  return state_->framework ? state_->framework->id : "";
}
bool TestMaster::subscribed() const { return state_->framework && state_->framework->connected; }
std::vector<std::string> TestMaster::outstandingOfferIds() const {
  std::vector<std::string> out;
  for (const auto& [id, offer] : state_->offers) out.push_back(id);
  return out;
}
const std::map<std::string, v1::TaskInfo>& TestMaster::launchedTasks() const {
  return state_->launched;
}
std::size_t TestMaster::unacknowledgedUpdates() const { return state_->pendingAcks.size(); }
std::size_t TestMaster::acknowledged() const { return state_->acked; }
std::optional<v1::FrameworkInfo> TestMaster::lastFrameworkInfo() const {
  return state_->lastFrameworkInfo;
}
std::optional<std::string> TestMaster::lastAuthorization() const {
  return state_->lastAuthorization;
}

}  // namespace coral::mesos::testing
