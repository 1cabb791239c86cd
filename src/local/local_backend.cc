#include "local/local_backend.h"

#include <future>
#include <mutex>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/desired_state.h"
#include "local/host_resources.h"

namespace coral::local {
namespace {

// A declined offer comes back after this long, or at once when resources
// are freed: the same rhythm as a Mesos master's offer cycle, scaled down.
constexpr auto kReofferDelay = std::chrono::seconds(2);
// The other nodes wait at most this long for the slow node's container start.
constexpr auto kHeadStartLimit = std::chrono::seconds(3);
// Docker's --cpus is a cap, not a reservation: the sum of the nodes' caps may
// exceed the cores, up to this factor, before a node waits for room.
constexpr double kCpuOvercommit = 2.0;

}  // namespace

LocalBackend::LocalBackend(boost::asio::io_context& loop, network::Attacher& attacher,
                           LocalBackendOptions options)
    : loop_(loop),
      options_(std::move(options)),
      docker_(options_.docker_socket),
      events_docker_(options_.docker_socket),
      attacher_(attacher),
      launcher_(LauncherContext{options_.cluster, readHostResources().hostname, docker_, attacher_,
                                options_.network}),
      workers_(options_.workers),
      reoffer_timer_(loop) {}

LocalBackend::~LocalBackend() { stop(); }

template <typename F>
void LocalBackend::toScheduler(F&& f) {
  boost::asio::post(loop_, [this, f = std::forward<F>(f)]() mutable {
    if (events_ && !stopping_) f(*events_);
  });
}

void LocalBackend::start(core::SchedulerEvents& events) {
  events_ = &events;
  // Adoption runs before anything else reaches the scheduler, so that it
  // never launches a twin of a node that already runs. It blocks the loop for
  // a few Docker calls, once, at start-up.
  auto containers = docker_.listContainers({{core::kLabelCluster, options_.cluster}}, true);
  if (!containers) {
    spdlog::error("cannot list the cluster's containers: {}", containers.message());
  } else {
    for (const auto& listed : *containers) {
      auto container = docker_.inspectContainer(listed.id);
      if (!container) continue;
      auto instance = launcher_.adopt(*container);
      if (!instance) {
        spdlog::warn("cannot adopt container {}: {}", listed.name, instance.message());
        continue;
      }
      spdlog::info("adopted {} ({}, {})", listed.name, core::phaseName(instance->phase),
                   instance->ip);
      events.onInstance(*instance);
    }
  }
  event_thread_ = std::thread([this] { watchEvents(); });
}

void LocalBackend::watchEvents() {
  while (!stopping_) {
    auto status = events_docker_.streamEvents(
        {{"type", {"container"}},
         {"event", {"die"}},
         {"label", {std::string(core::kLabelCluster) + "=" + options_.cluster}}},
        [this](const nlohmann::json& event) {
          const auto& attributes = event["Actor"]["Attributes"];
          int exit_code = std::atoi(attributes.value("exitCode", "0").c_str());
          onContainerDied(event["Actor"].value("ID", ""), exit_code);
          return !stopping_;
        });
    if (stopping_) break;
    spdlog::warn("docker events stream ended ({}); reconnecting",
                 status ? "closed by the daemon" : status.message());
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

void LocalBackend::onContainerDied(const std::string& id, int exit_code) {
  {
    std::lock_guard lock(mutex_);
    if (removing_.count(id)) return;
  }
  auto container = docker_.findContainer(id);
  if (!container || !container->has_value()) return;
  core::Instance instance = instanceFromLabels(**container);
  instance.phase = core::Phase::Failed;
  instance.message = "exited with code " + std::to_string(exit_code);
  toScheduler([instance](core::SchedulerEvents& e) { e.onInstance(instance); });
}

void LocalBackend::setOfferInterest(bool wanted) {
  offer_interest_ = wanted;
  if (wanted && !offer_outstanding_) offerNow();
}

void LocalBackend::offerNow() {
  offer_outstanding_ = true;
  boost::asio::post(loop_, [this] {
    offer_outstanding_ = false;
    if (!offer_interest_ || !events_ || stopping_) return;
    HostResources host = readHostResources();
    core::Offer offer;
    offer.id = "local-" + std::to_string(++offer_counter_);
    offer.agent_id = "local";
    offer.hostname = host.hostname;
    offer.cpus = host.cpus * kCpuOvercommit;
    offer.mem_mb = host.mem_mb;
    for (const auto& [node, used] : allocated_) {
      offer.cpus -= used.first;
      offer.mem_mb -= used.second;
    }
    // Host ports are checked when the node is attached: the port-holder test
    // needs root and /proc, and its message is clearer where it happens.
    offer.ports = {{1, 65535}};
    events_->onOffers({offer});
  });
}

void LocalBackend::decline(const core::Offer&) {
  reoffer_timer_.expires_after(kReofferDelay);
  reoffer_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && offer_interest_ && !offer_outstanding_) offerNow();
  });
}

void LocalBackend::launch(const core::Offer&, const std::vector<core::LaunchRequest>& launches) {
  // Nodes with a readiness probe (the notebook: Jupyter boots for ~1.5 s)
  // decide how long `up` takes. Their containers start first, alone, and the
  // others follow at once, so that the slow boot overlaps the rest instead of
  // competing with it inside dockerd.
  auto head_start = std::make_shared<std::promise<void>>();
  std::shared_future<void> others_may_go = head_start->get_future().share();
  bool any_slow = false;
  for (const auto& request : launches) any_slow = any_slow || request.node.ready_probe.has_value();
  if (!any_slow) head_start->set_value();

  for (const auto& request : launches) {
    allocated_[request.node.name] = {request.node.cpus, request.node.mem_mb};
    const bool slow = request.node.ready_probe.has_value();
    boost::asio::post(workers_, [this, request, slow, head_start, others_may_go] {
      if (!slow) others_may_go.wait_for(kHeadStartLimit);
      auto released = std::make_shared<std::once_flag>();
      auto release = [slow, head_start, released] {
        if (slow) std::call_once(*released, [&] { head_start->set_value(); });
      };
      std::string id;  // known once the container exists
      auto progress = [this, release, &id](const core::Instance& instance) {
        if (instance.phase != core::Phase::Launching) release();
        if (id.empty()) {
          // Before the scheduler hears of the instance, so before any kill of it.
          std::lock_guard lock(mutex_);
          launching_.insert(instance.id);
          id = instance.id;
        }
        toScheduler([instance](core::SchedulerEvents& e) { e.onInstance(instance); });
      };
      auto cancelled = [this, &id] {
        std::lock_guard lock(mutex_);
        return cancelled_.count(id) > 0;
      };
      auto instance = launcher_.launch(request, progress, cancelled);
      release();
      bool was_cancelled = false;
      if (!id.empty()) {
        std::lock_guard lock(mutex_);
        launching_.erase(id);
        was_cancelled = cancelled_.erase(id) > 0;
      }
      if (was_cancelled) {
        // Killed while launching: the kill is answered here, once nothing
        // else touches the container (a failed launch removed it already).
        core::Instance gone = instance ? *instance : core::Instance{};
        gone.id = id;
        gone.node = request.node.name;
        removeAndReport(gone);
        return;
      }
      if (instance) {
        progress(*instance);
        return;
      }
      spdlog::error("{}", instance.message());
      toScheduler([this, request, message = instance.message()](core::SchedulerEvents& e) {
        allocated_.erase(request.node.name);
        e.onLaunchFailed(request.node.name, request.generation, message);
      });
    });
  }
}

void LocalBackend::kill(const core::Instance& instance) {
  {
    std::lock_guard lock(mutex_);
    removing_.insert(instance.id);
    // Its launch thread stops at the next step and removes it (a DEL racing
    // the launch's CNI ADD would leave the ADD's iptables rules behind).
    if (launching_.count(instance.id)) {
      cancelled_.insert(instance.id);
      return;
    }
  }
  boost::asio::post(workers_, [this, instance] { removeAndReport(instance); });
}

void LocalBackend::removeAndReport(const core::Instance& instance) {
  Status removed;
  for (int attempt = 0; attempt < 3; ++attempt) {
    removed = launcher_.remove(instance.id);
    if (removed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
  }
  if (!removed) spdlog::error("removing {}: {}", instance.node, removed.message());
  {
    std::lock_guard lock(mutex_);
    removing_.erase(instance.id);
  }
  toScheduler([this, instance](core::SchedulerEvents& e) {
    allocated_.erase(instance.node);
    e.onInstanceGone(instance.id);
    if (offer_interest_ && !offer_outstanding_) offerNow();
  });
}

void LocalBackend::stop() {
  if (stopping_.exchange(true)) return;
  reoffer_timer_.cancel();
  events_docker_.stop();
  if (event_thread_.joinable()) event_thread_.join();
  workers_.join();
}

}  // namespace coral::local
