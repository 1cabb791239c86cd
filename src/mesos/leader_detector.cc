#include "mesos/leader_detector.h"

#include <boost/asio/post.hpp>

#include "mesos/zookeeper_leader_detector.h"

namespace coral::mesos {

StaticMasterList::StaticMasterList(boost::asio::io_context& io, std::vector<Endpoint> masters)
    : io_(io), masters_(std::move(masters)) {}

void StaticMasterList::detect(Callback done) {
  // Posted, not called inline, so callers never re-enter themselves.
  boost::asio::post(io_, [weak = std::weak_ptr<bool>(alive_), masters = masters_,
                          done = std::move(done)]() mutable {
    if (weak.expired()) return;
    done(std::move(masters));
  });
}

std::string StaticMasterList::describe() const {
  std::string out;
  for (const auto& master : masters_) {
    if (!out.empty()) out += ',';
    out += "http://" + master.toString();
  }
  return out;
}

std::unique_ptr<LeaderDetector> makeLeaderDetector(boost::asio::io_context& io,
                                                   const MasterSpec& spec) {
  if (spec.kind == MasterSpec::Kind::kZooKeeper) {
    return std::make_unique<ZooKeeperLeaderDetector>(io, spec.zkConnectString(), spec.zkPath);
  }
  return std::make_unique<StaticMasterList>(io, spec.masters);
}

}  // namespace coral::mesos
