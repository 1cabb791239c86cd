// The cluster as the user describes it: the parsed form of the YAML spec.
// Plain values only; parsing lives in src/spec/, expansion into nodes in
// desired_state.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace coral::core {

struct NodeResources {
  double cpus = 0;
  int64_t mem_mb = 0;
};

struct NetworkSpec {
  std::string name = "calico";
  std::string subnet = "10.213.0.0/24";
};

struct ClusterSpec {
  std::string name = "coral";
  int workers = 3;
  std::string worker_image = "coral/worker:latest";
  std::string notebook_image = "coral/notebook:latest";
  NodeResources worker_resources{0.25, 256};
  NodeResources notebook_resources{1.0, 1024};
  NetworkSpec network;
  int notebook_host_port = 8888;
  std::map<std::string, std::string> env;  // extra environment on every node
  std::string source;                       // file the spec came from, or "<built-in>"
};

// The cluster `coral up` grows when no spec file is given.
inline ClusterSpec defaultClusterSpec() {
  ClusterSpec spec;
  spec.source = "<built-in default>";
  return spec;
}

}  // namespace coral::core
