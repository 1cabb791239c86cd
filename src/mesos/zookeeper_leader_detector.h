// The leading Mesos master as registered in ZooKeeper: masters create
// ephemeral sequential znodes `json.info_<seq>` holding their MasterInfo as
// JSON, and the one with the lowest sequence number leads. Uses Debian's
// multi-threaded ZooKeeper C client; results are posted to the io_context.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mesos/leader_detector.h"
#include "mesos/timer.h"

namespace coral::mesos {

// The leader among a master directory's children: the `json.info_` znode
// with the lowest sequence number (other children are ignored).
std::optional<std::string> pickLeaderZnode(const std::vector<std::string>& children);

// The HTTP endpoint in a master's JSON MasterInfo: address.ip/address.port,
// else hostname/port, else the `pid` ("master@ip:port").
Result<Endpoint> parseMasterInfoJson(std::string_view json);

class ZooKeeperLeaderDetector final : public LeaderDetector {
 public:
  // `connectString` is "host:port[,host:port]", `path` the znode directory
  // ("/mesos"). Nothing connects until the first detect().
  ZooKeeperLeaderDetector(boost::asio::io_context& io, std::string connectString, std::string path,
                          Duration timeout = Duration(10000));
  ~ZooKeeperLeaderDetector() override;  // closes the session (joins its threads)

  void detect(Callback done) override;
  std::string describe() const override;

  struct Shared;

 private:
  boost::asio::io_context& io_;
  std::string connectString_;
  std::string path_;
  Duration timeout_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace coral::mesos
