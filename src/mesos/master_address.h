// Where the Mesos masters are: parsing of `--master` (an HTTP address, a
// comma-separated list, or zk://) and of the scheme-less `Location` header a
// non-leading master answers with.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace coral::mesos {

inline constexpr std::uint16_t kDefaultMasterPort = 5050;
inline constexpr std::string_view kSchedulerPath = "/api/v1/scheduler";

// One master, reached over plain HTTP.
struct Endpoint {
  std::string host;  // name or IP; IPv6 without brackets
  std::uint16_t port = kDefaultMasterPort;

  std::string toString() const;  // "host:port", "[v6]:port"
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct MasterSpec {
  enum class Kind { kList, kZooKeeper };
  Kind kind = Kind::kList;
  // kList: masters to try in order; non-leaders redirect to the leader.
  std::vector<Endpoint> masters;
  // kZooKeeper: the ensemble and the znode directory Mesos masters register in.
  std::vector<Endpoint> zkServers;
  std::string zkPath;

  std::string zkConnectString() const;  // "h1:2181,h2:2181" for zookeeper_init
};

// Accepts `http://host:port`, `host:port`, `host` (port 5050), a
// comma-separated list of those, or `zk://host:port[,host:port]/path`.
Result<MasterSpec> parseMasterSpec(std::string_view flag);

// Parses "host:port" / "[v6]:port" / "host" (port = defaultPort).
Result<Endpoint> parseHostPort(std::string_view text, std::uint16_t defaultPort);

// Resolves a 307 `Location` against the master that sent it. Mesos sends
// "//leader:5050/api/v1/scheduler" (no scheme, on purpose); absolute
// "http://..." and path-only values are accepted too.
Result<Endpoint> parseLocation(std::string_view location, const Endpoint& from);

}  // namespace coral::mesos
