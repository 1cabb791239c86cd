// Brings one node to life on this machine and takes it away again: Docker
// container (network "none") → CNI attachment to the cluster network →
// readiness. Blocking; the local backend runs it on worker threads.
#pragma once

#include <functional>
#include <string>

#include "core/decide.h"
#include "core/node.h"
#include "core/result.h"
#include "docker/docker_client.h"
#include "network/attacher.h"
#include "network/calico_network.h"

namespace coral::local {

struct LauncherContext {
  std::string cluster;
  std::string hostname;
  docker::DockerClient& docker;
  network::Attacher& attacher;
  const network::CalicoNetwork& network;
};

class NodeLauncher {
 public:
  explicit NodeLauncher(LauncherContext context) : ctx_(std::move(context)) {}

  // `progress` is called with each new phase of the instance (from this
  // thread). On failure everything created so far is removed again; so it is
  // when `cancelled` holds (checked between the steps and while waiting).
  Result<core::Instance> launch(const core::LaunchRequest& request,
                                const std::function<void(const core::Instance&)>& progress,
                                const std::function<bool()>& cancelled = {});

  // Takes an instance found at start-up back under management: re-attaches
  // it to the network when its attachment is missing or broken.
  Result<core::Instance> adopt(const docker::ContainerInfo& container);

  // Detaches from the network and removes the container. Idempotent.
  Status remove(const std::string& container_id);

  std::string containerName(const std::string& node) const { return ctx_.cluster + "-" + node; }

 private:
  Result<std::string> attach(const std::string& container_id, int pid,
                             const std::vector<core::PortMapping>& ports);
  Status waitReady(const core::NodeSpec& node, const std::string& ip,
                   const std::function<bool()>& cancelled);

  LauncherContext ctx_;
};

// The Instance a container's labels describe (node, spec hash, generation).
core::Instance instanceFromLabels(const docker::ContainerInfo& container);

}  // namespace coral::local
