// The vocabulary shared by the scheduler core and every backend: what a node
// should be (NodeSpec), what a backend reports about one of its instances
// (Instance), and resources on offer (Offer).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace coral::core {

enum class Role { Worker, Notebook };
std::string roleName(Role role);

struct PortMapping {
  int host = 0;
  int container = 0;
};

struct FileMount {
  std::string host_path;
  std::string container_path;
};

// How a backend decides that a launched node is ready, beyond "its process
// runs": an HTTP GET that must answer 2xx on the node's own address.
struct HttpProbe {
  int port = 0;
  std::string path;
  std::string token_file;  // when set, also checks that the request is refused without it
  // A path that answers 2xx without the token, for probers that cannot send
  // one (Mesos health checks have no headers); empty: none.
  std::string open_path;
};

struct NodeSpec {
  std::string name;      // "worker-1", "notebook": stable across relaunches
  std::string hostname;  // "<cluster>-1"; the notebook is "<cluster>-0"
  Role role = Role::Worker;
  int index = 0;
  std::string image;
  std::vector<std::string> command;  // empty: the image's default
  double cpus = 0;
  int64_t mem_mb = 0;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> labels;
  std::vector<PortMapping> ports;
  std::vector<FileMount> files;
  std::optional<HttpProbe> ready_probe;
  std::string spec_hash;  // changes whenever anything above changes
};

// Where an instance is in its life. Every backend maps its own states here.
enum class Phase {
  Launching,  // image, container or task being created
  Attaching,  // joining the cluster network
  Starting,   // process runs; waiting for readiness
  Running,
  Failed,     // exited or lost; will be cleaned up and relaunched
  Stopping,
};
std::string phaseName(Phase phase);
bool isLive(Phase phase);  // not failed and not on its way out

// One launched copy of a node, as the backend sees it.
struct Instance {
  std::string id;  // container id (local) or task id (mesos)
  std::string node;
  std::string spec_hash;
  int generation = 0;
  Phase phase = Phase::Launching;
  std::string ip;
  std::string host;
  std::string message;  // last progress or failure detail, for `coral status`
  std::vector<PortMapping> ports;
};

struct PortRange {
  int begin = 0;
  int end = 0;  // inclusive
};

// Resources one machine can give right now.
struct Offer {
  std::string id;
  std::string agent_id;
  std::string hostname;
  double cpus = 0;
  int64_t mem_mb = 0;
  std::vector<PortRange> ports;
};

}  // namespace coral::core
