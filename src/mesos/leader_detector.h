// Finding the masters to subscribe to: a fixed list (each is tried; a
// non-leader redirects to the leader) or the leader registered in ZooKeeper.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "mesos/master_address.h"

namespace coral::mesos {

class LeaderDetector {
 public:
  using Callback = std::function<void(Result<std::vector<Endpoint>>)>;
  virtual ~LeaderDetector() = default;
  // The masters to try, best first. `done` runs on the io_context, at most
  // once, and never after the detector is destroyed.
  virtual void detect(Callback done) = 0;
  // For messages: "http://a:5050,b:5050" or "zk://h:2181/mesos".
  virtual std::string describe() const = 0;
};

class StaticMasterList final : public LeaderDetector {
 public:
  StaticMasterList(boost::asio::io_context& io, std::vector<Endpoint> masters);
  void detect(Callback done) override;
  std::string describe() const override;

 private:
  boost::asio::io_context& io_;
  std::vector<Endpoint> masters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The detector for a parsed --master value.
std::unique_ptr<LeaderDetector> makeLeaderDetector(boost::asio::io_context& io,
                                                   const MasterSpec& spec);

}  // namespace coral::mesos
