// TaskInfo for one Coral node on a named (Calico) network, for both
// containerizers, and the reverse: reading the container IP back from a
// TaskStatus. The two containerizers read the same CommandInfo differently
// (Docker appends value+arguments after the image; the Mesos containerizer
// execs value with argv = arguments), so callers give one argv and this
// module writes it the way each containerizer expects.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "mesos/offer_resources.h"
#include "mesos/proto.h"

namespace coral::mesos {

enum class Containerizer { kDocker, kMesos };

// "docker" or "mesos".
Result<Containerizer> parseContainerizer(std::string_view flag);

struct PortMapping {
  std::uint32_t hostPort = 0;  // 0 = any port the offer has
  std::uint32_t containerPort = 0;
  std::string protocol = "tcp";
};

struct NodeLaunchSpec {
  std::string cluster;           // label "cluster"
  std::string node;              // label "node"; prefix of the task ID
  std::string role;              // label "role" (the node's job, e.g. "jupyter")
  std::uint64_t generation = 0;  // task ID = <node>.<generation>; bump per launch
  Containerizer containerizer = Containerizer::kDocker;
  std::string image;
  std::string network;            // Docker network / CNI network name, e.g. "calico"
  std::string hostname;           // ContainerInfo.hostname (both containerizers); empty: the agent's choice
  // The node manages iptables in its own network namespace (MAC rules at the
  // sender). Docker: `--cap-add=NET_ADMIN`. The Mesos containerizer grants
  // root tasks every capability unless the agent runs the linux/capabilities
  // isolator, whose --effective_capabilities must then include NET_ADMIN
  // (declaring it in LinuxInfo would fail on agents without that isolator).
  bool netAdmin = false;
  // Readiness as a Mesos HTTP health check, run by the executor inside the
  // container's network namespace; TaskStatus.healthy then tells when it answers.
  struct HttpHealth {
    std::uint32_t port = 0;  // the container's port
    std::string path;        // must answer 2xx-3xx without credentials
  };
  std::optional<HttpHealth> health;
  std::vector<std::string> argv;  // argv[0] is the program; empty = image default
  std::vector<std::pair<std::string, std::string>> environment;
  std::vector<std::pair<std::string, std::string>> extraLabels;
  double cpus = 0;
  double memMb = 0;
  std::vector<PortMapping> ports;
  // Docker only: also ask Docker to publish the ports (-p). Calico's
  // libnetwork driver ignores it, so by default host ports are only
  // reserved in the resources.
  bool publishDockerPorts = false;
  bool forcePullImage = false;
};

// "<node>.<generation>", validated against the master's ID rules.
Result<std::string> makeTaskId(std::string_view node, std::uint64_t generation);

struct ParsedTaskId {
  std::string node;
  std::uint64_t generation = 0;
};
std::optional<ParsedTaskId> parseTaskId(std::string_view taskId);

// Builds the task and takes its resources out of `offer` (cpus, mem and the
// host ports, which are also the port mappings' host ports).
Result<v1::TaskInfo> buildNodeTask(const NodeLaunchSpec& spec, OfferResources& offer);

// The container's IP addresses from `container_status.network_infos`
// (IPv4 first). With `network` set, only entries of that network count: the
// Docker executor's TASK_STARTING carries the agent IP under no name.
std::vector<std::string> containerIps(const v1::TaskStatus& status, std::string_view network = {});

}  // namespace coral::mesos
