// Plain data that Coral exchanges with the Docker daemon: what to create and
// what Docker reports back. Kept free of JSON and HTTP so that callers (the
// local launcher, the daemon) can include it without pulling in Boost.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace coral::docker {

// A bind mount, sent as HostConfig.Binds "source:target:ro|rw".
struct Mount {
  std::string source;
  std::string target;
  bool read_only = true;
};

struct ContainerSpec {
  std::string name;  // empty = let Docker pick one
  std::string image;
  std::string hostname;
  std::vector<std::string> entrypoint, cmd;  // empty = image default
  std::map<std::string, std::string> env, labels;
  std::string network_mode = "none";  // Coral attaches networks itself through CNI
  std::vector<Mount> binds;
  std::vector<std::string> cap_add;  // e.g. NET_ADMIN
  double cpus = 0;                   // 0 = unlimited; sent as HostConfig.NanoCpus
  int64_t memory_bytes = 0;          // 0 = unlimited; sent as HostConfig.Memory
  bool init = true;                  // HostConfig.Init: docker-init reaps zombies
  std::string mac_address;           // optional; Config.MacAddress in API v1.41
};

struct ContainerState {
  std::string status;  // "created", "running", "exited", ...
  bool running = false;
  int pid = 0;  // host PID of the container's init; 0 when not running or from a list
  int exit_code = 0;
  std::string error, started_at, finished_at;  // RFC 3339 timestamps from Docker
};

struct ContainerInfo {
  std::string id;
  std::string name;   // without Docker's leading '/'
  std::string image;  // the image name the container was created from (Config.Image)
  std::map<std::string, std::string> labels;
  ContainerState state;
};

struct ExecResult {
  int exit_code = 0;
  std::string out, err;
};

struct ImageInfo {
  std::string id;
  std::vector<std::string> tags;
  std::map<std::string, std::string> labels;
  int64_t size = 0;
};

// A /events subscription. `since`/`until` are Docker timestamps (Unix seconds,
// optionally fractional); with `since` Docker first replays past events, which
// lets a caller subscribe after starting something without missing its event.
struct EventsQuery {
  std::map<std::string, std::vector<std::string>> filters;  // e.g. {"event", {"start"}}
  std::string since;
  std::string until;  // when set, the stream ends by itself at that time
};

}  // namespace coral::docker
