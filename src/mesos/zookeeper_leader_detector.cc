#include "mesos/zookeeper_leader_detector.h"

#include <zookeeper/zookeeper.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

namespace coral::mesos {

namespace {

constexpr std::string_view kLeaderPrefix = "json.info_";

std::optional<std::uint64_t> sequenceOf(std::string_view name) {
  if (!name.starts_with(kLeaderPrefix)) return std::nullopt;
  const std::string_view digits = name.substr(kLeaderPrefix.size());
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size())
    return std::nullopt;
  return value;
}

// The C client logs INFO lines to stderr by default; keep only errors, per
// handle (the client's log level itself is process-global).
void logErrorsOnly(const char* message) {
  if (message != nullptr && std::strstr(message, "ZOO_ERROR") != nullptr) {
    std::fprintf(stderr, "%s\n", message);
  }
}

void ignoreSessionEvents(zhandle_t*, int, int, const char*, void*) {}

}  // namespace

std::optional<std::string> pickLeaderZnode(const std::vector<std::string>& children) {
  std::optional<std::string> best;
  std::uint64_t bestSequence = 0;
  for (const auto& child : children) {
    const auto sequence = sequenceOf(child);
    if (!sequence) continue;
    if (!best || *sequence < bestSequence) {
      best = child;
      bestSequence = *sequence;
    }
  }
  return best;
}

Result<Endpoint> parseMasterInfoJson(std::string_view json) {
  const auto info = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (info.is_discarded() || !info.is_object()) {
    return makeError(
        "leading master's znode does not hold JSON MasterInfo; is this a Mesos "
        "master directory (masters >= 0.24 write json.info_* znodes)?");
  }
  auto portOf = [](const nlohmann::json& object) -> std::optional<std::uint16_t> {
    const auto it = object.find("port");
    if (it == object.end() || !it->is_number_unsigned()) return std::nullopt;
    const auto port = it->get<std::uint64_t>();
    if (port == 0 || port > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(port);
  };
  if (const auto address = info.find("address"); address != info.end() && address->is_object()) {
    const auto port = portOf(*address);
    for (const char* key : {"ip", "hostname"}) {
      const auto host = address->find(key);
      if (port && host != address->end() && host->is_string() &&
          !host->get<std::string>().empty()) {
        return Endpoint{host->get<std::string>(), *port};
      }
    }
  }
  if (const auto host = info.find("hostname"); host != info.end() && host->is_string()) {
    if (const auto port = portOf(info)) return Endpoint{host->get<std::string>(), *port};
  }
  if (const auto pid = info.find("pid"); pid != info.end() && pid->is_string()) {
    const std::string text = pid->get<std::string>();
    const std::size_t at = text.find('@');
    if (at != std::string::npos) {
      auto endpoint = parseHostPort(text.substr(at + 1), kDefaultMasterPort);
      if (endpoint) return endpoint;
    }
  }
  return makeError(
      "leading master's MasterInfo JSON has no usable address (address.ip/port, "
      "hostname/port or pid)");
}

// State shared with the ZooKeeper client's completion thread. Everything but
// `mutex`/`alive` is set once on the loop thread before any request.
struct ZooKeeperLeaderDetector::Shared {
  explicit Shared(boost::asio::io_context& io) : io(io) {}
  boost::asio::io_context& io;
  std::mutex mutex;
  bool alive = true;
  zhandle_t* zh = nullptr;
  std::string path;
  std::string where;  // "zk://host:port/path" for messages
};

namespace {

using Shared = ZooKeeperLeaderDetector::Shared;

// One detect() in flight. Owned by the ZooKeeper completion chain; the
// result is delivered on the loop through `deliver`, first of result and
// timeout wins.
struct Request {
  std::shared_ptr<Shared> shared;
  std::shared_ptr<LeaderDetector::Callback> done;
  std::shared_ptr<boost::asio::steady_timer> deadline;
  std::string leader;
};

void deliver(Request* request, Result<std::vector<Endpoint>> result) {
  std::unique_ptr<Request> owned(request);
  std::lock_guard lock(owned->shared->mutex);
  if (!owned->shared->alive) return;
  boost::asio::post(owned->shared->io, [done = owned->done, deadline = owned->deadline,
                                        result = std::move(result)]() mutable {
    if (!*done) return;  // the deadline won
    deadline->cancel();
    auto cb = std::move(*done);
    *done = nullptr;
    cb(std::move(result));
  });
}

std::string zkError(const Request& request, const std::string& step, int rc) {
  return "ZooKeeper " + request.shared->where + ": " + step + " failed: " + zerror(rc) +
         "; check that the ensemble is reachable and the path is the masters' --zk path";
}

void onLeaderData(int rc, const char* value, int length, const struct Stat*, const void* data) {
  auto* request = static_cast<Request*>(const_cast<void*>(data));
  if (rc == ZNONODE) {
    return deliver(request, makeError("ZooKeeper " + request->shared->where + ": leader znode " +
                                      request->leader + " vanished (leader change); retrying"));
  }
  if (rc != ZOK)
    return deliver(request, makeError(zkError(*request, "reading " + request->leader, rc)));
  auto endpoint = parseMasterInfoJson(std::string_view(value ? value : "", value ? length : 0));
  if (!endpoint) {
    return deliver(request, makeError("ZooKeeper " + request->shared->where + " znode " +
                                      request->leader + ": " + endpoint.message()));
  }
  deliver(request, std::vector<Endpoint>{*endpoint});
}

void onChildren(int rc, const struct String_vector* strings, const void* data) {
  auto* request = static_cast<Request*>(const_cast<void*>(data));
  if (rc == ZNONODE) {
    return deliver(request, makeError("ZooKeeper " + request->shared->where +
                                      ": the path does not exist; no Mesos master registered "
                                      "there (check the masters' --zk flag)"));
  }
  if (rc != ZOK) return deliver(request, makeError(zkError(*request, "listing the masters", rc)));
  std::vector<std::string> children;
  for (int i = 0; strings != nullptr && i < strings->count; ++i)
    children.emplace_back(strings->data[i]);
  const auto leader = pickLeaderZnode(children);
  if (!leader) {
    return deliver(request, makeError("ZooKeeper " + request->shared->where +
                                      ": no json.info_* znode, so no master is elected yet; "
                                      "retrying"));
  }
  request->leader = *leader;
  int started = ZOK;
  {
    std::lock_guard lock(request->shared->mutex);
    if (!request->shared->alive) {
      delete request;
      return;
    }
    const std::string znode = request->shared->path + "/" + *leader;
    started = zoo_aget(request->shared->zh, znode.c_str(), 0, onLeaderData, request);
  }
  // Not queued: no completion will come, so deliver from here.
  if (started != ZOK) deliver(request, makeError(zkError(*request, "reading " + *leader, started)));
}

}  // namespace

ZooKeeperLeaderDetector::ZooKeeperLeaderDetector(boost::asio::io_context& io,
                                                 std::string connectString, std::string path,
                                                 Duration timeout)
    : io_(io), connectString_(std::move(connectString)), path_(std::move(path)), timeout_(timeout) {
  while (path_.size() > 1 && path_.back() == '/') path_.pop_back();
}

ZooKeeperLeaderDetector::~ZooKeeperLeaderDetector() {
  if (!shared_) return;
  {
    std::lock_guard lock(shared_->mutex);
    shared_->alive = false;
  }
  if (shared_->zh != nullptr) zookeeper_close(shared_->zh);
}

std::string ZooKeeperLeaderDetector::describe() const { return "zk://" + connectString_ + path_; }

void ZooKeeperLeaderDetector::detect(Callback done) {
  auto fail = [&](std::string message) {
    boost::asio::post(io_, [done = std::move(done), message = std::move(message)]() mutable {
      done(makeError(std::move(message)));
    });
  };
  // A session that expired or failed auth is dead for good: start a new one.
  if (shared_ && shared_->zh != nullptr) {
    const int state = zoo_state(shared_->zh);
    if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
      {
        std::lock_guard lock(shared_->mutex);
        shared_->alive = false;
      }
      zookeeper_close(shared_->zh);
      shared_.reset();
    }
  }
  if (!shared_) {
    auto shared = std::make_shared<Shared>(io_);
    shared->path = path_;
    shared->where = describe();
    shared->zh =
        zookeeper_init2(connectString_.c_str(), ignoreSessionEvents,
                        static_cast<int>(timeout_.count()), nullptr, nullptr, 0, logErrorsOnly);
    if (shared->zh == nullptr) {
      return fail("ZooKeeper " + describe() + ": cannot create a client (" + std::strerror(errno) +
                  "); check the zk:// address");
    }
    shared_ = std::move(shared);
  }
  auto request = std::make_unique<Request>();
  request->shared = shared_;
  request->done = std::make_shared<Callback>(std::move(done));
  request->deadline = std::make_shared<boost::asio::steady_timer>(io_, timeout_);
  request->deadline->async_wait([done = request->done, where = describe(),
                                 timeout = timeout_](const boost::system::error_code& ec) {
    if (ec || !*done) return;
    auto cb = std::move(*done);
    *done = nullptr;
    cb(makeError("ZooKeeper " + where + ": no answer within " + std::to_string(timeout.count()) +
                 " ms; check that the ensemble is up and reachable"));
  });
  Request* raw = request.release();
  std::lock_guard lock(shared_->mutex);
  const int started = zoo_aget_children(shared_->zh, path_.c_str(), 0, onChildren, raw);
  if (started != ZOK) {
    auto owned = std::unique_ptr<Request>(raw);
    boost::asio::post(io_, [done = owned->done, deadline = owned->deadline,
                            message = zkError(*owned, "listing the masters", started)] {
      if (!*done) return;
      deadline->cancel();
      auto cb = std::move(*done);
      *done = nullptr;
      cb(makeError(message));
    });
  }
}

}  // namespace coral::mesos
