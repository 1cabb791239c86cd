// The embedded backend for one machine: offers are this host's cpus and
// memory, launches are Docker containers attached to the cluster network by
// CNI. Blocking work runs on a small worker pool; every report goes back to
// the scheduler through the daemon's event loop.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/backend.h"
#include "docker/docker_client.h"
#include "local/node_launcher.h"
#include "network/calico_network.h"

namespace coral::local {

struct LocalBackendOptions {
  std::string cluster;
  network::CalicoNetwork network;
  std::string docker_socket = "/var/run/docker.sock";
  int workers = 4;  // launches run in parallel; `up` time is the slowest node, not the sum
};

class LocalBackend : public core::Backend {
 public:
  LocalBackend(boost::asio::io_context& loop, network::Attacher& attacher, LocalBackendOptions options);
  ~LocalBackend() override;

  std::string kind() const override { return "local"; }
  void start(core::SchedulerEvents& events) override;
  void launch(const core::Offer& offer, const std::vector<core::LaunchRequest>& launches) override;
  void decline(const core::Offer& offer) override;
  void kill(const core::Instance& instance) override;
  void setOfferInterest(bool wanted) override;
  void stop() override;

  docker::DockerClient& docker() { return docker_; }
  const network::CalicoNetwork& network() const { return options_.network; }

 private:
  void offerNow();
  void watchEvents();
  void onContainerDied(const std::string& id, int exit_code);
  // Removes the instance's container (worker thread), then reports it gone.
  void removeAndReport(const core::Instance& instance);
  template <typename F>
  void toScheduler(F&& f);

  boost::asio::io_context& loop_;
  LocalBackendOptions options_;
  docker::DockerClient docker_;
  docker::DockerClient events_docker_;  // its stop() ends only the events stream
  network::Attacher& attacher_;
  NodeLauncher launcher_;
  core::SchedulerEvents* events_ = nullptr;
  boost::asio::thread_pool workers_;
  std::thread event_thread_;
  std::atomic<bool> stopping_{false};

  // Loop-confined: resources held by live instances, for the next offer.
  std::map<std::string, std::pair<double, int64_t>> allocated_;  // node → cpus, mem
  bool offer_interest_ = false;
  bool offer_outstanding_ = false;
  boost::asio::steady_timer reoffer_timer_;
  int offer_counter_ = 0;

  // Shared with worker threads: containers being removed on purpose, whose
  // "die" event is not a failure; containers whose launch thread still runs,
  // and those of them killed meanwhile (their launch thread removes them).
  std::mutex mutex_;
  std::set<std::string> removing_;
  std::set<std::string> launching_;
  std::set<std::string> cancelled_;
};

}  // namespace coral::local
