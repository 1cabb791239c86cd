// readSandboxTail against a fake agent that answers /files/read like a Mesos
// agent (offset -1 = size; pages capped; 404 for a missing file).
#include "mesos/sandbox_logs.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "api/server.h"

namespace coral::mesos {
namespace {

class FakeAgent {
 public:
  explicit FakeAgent(std::size_t page) {
    api::Router router;
    router.add("GET", "/files/read", [this, page](const api::Request& req, api::Responder res) {
      std::lock_guard lock(mutex_);
      if (!requiredAuth.empty() && req.header("authorization") != requiredAuth) {
        return res.send(api::Response{401, "text/plain", "", {}});
      }
      const std::string path = req.query.at("path");
      paths.push_back(path);
      auto file = files.find(path);
      if (file == files.end()) return res.send(api::Response{404, "text/plain", "", {}});
      const long long offset = std::stoll(req.query.at("offset"));
      if (offset == -1) {
        return res.send(api::jsonResponse({{"data", ""}, {"offset", file->second.size()}}));
      }
      std::size_t length = req.query.count("length") ? std::stoull(req.query.at("length")) : page;
      std::string data = file->second.substr(static_cast<std::size_t>(offset), std::min(length, page));
      res.send(api::jsonResponse({{"data", data}, {"offset", offset}}));
    });
    server_ = std::make_unique<api::Server>(io_, std::move(router), api::AuthPolicy{"", {"/files/read"}});
    EXPECT_TRUE(server_->listenTcp("127.0.0.1", 0));
    work_.emplace(boost::asio::make_work_guard(io_));
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeAgent() {
    boost::asio::post(io_, [this] { server_->stop(); });
    work_.reset();
    thread_.join();
  }
  uint16_t port() const { return server_->tcpPort(); }

  std::mutex mutex_;
  std::map<std::string, std::string> files;
  std::vector<std::string> paths;
  std::string requiredAuth;

 private:
  boost::asio::io_context io_;
  std::unique_ptr<api::Server> server_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

SandboxLocation locationOf(const FakeAgent& agent) {
  SandboxLocation where;
  where.agentHost = "127.0.0.1";
  where.agentPort = agent.port();
  where.frameworkId = "d58b287b-0000";
  where.executorId = "notebook.3";
  return where;
}

constexpr const char* kSandbox = "/frameworks/d58b287b-0000/executors/notebook.3/runs/latest";

TEST(SandboxLogs, TailOfStdoutAndStderrAcrossPages) {
  FakeAgent agent(/*page=*/7);
  std::string out;
  for (int i = 1; i <= 10; ++i) out += "out " + std::to_string(i) + "\n";
  agent.files[std::string(kSandbox) + "/stdout"] = out;
  agent.files[std::string(kSandbox) + "/stderr"] = "err 1\nerr 2";  // no final newline
  auto tail = readSandboxTail(locationOf(agent), 3);
  ASSERT_TRUE(tail) << tail.message();
  EXPECT_EQ(tail->stdoutLines, (std::vector<std::string>{"out 8", "out 9", "out 10"}));
  EXPECT_EQ(tail->stderrLines, (std::vector<std::string>{"err 1", "err 2"}));
  EXPECT_EQ(agent.paths.front(), std::string(kSandbox) + "/stdout");
}

TEST(SandboxLogs, BigFilesAreReadFromTheEndWithoutACutLine) {
  FakeAgent agent(/*page=*/64 << 10);
  std::string out;
  for (int i = 0; i < 40000; ++i) out += "line number " + std::to_string(i) + "\n";  // ~700 KB
  agent.files[std::string(kSandbox) + "/stdout"] = out;
  agent.files[std::string(kSandbox) + "/stderr"] = "";
  auto all = readSandboxTail(locationOf(agent), -1);
  ASSERT_TRUE(all) << all.message();
  ASSERT_FALSE(all->stdoutLines.empty());
  EXPECT_EQ(all->stdoutLines.back(), "line number 39999");
  EXPECT_EQ(all->stdoutLines.front().rfind("line number ", 0), 0u) << all->stdoutLines.front();
  EXPECT_TRUE(all->stderrLines.empty());
  auto two = readSandboxTail(locationOf(agent), 2);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->stdoutLines, (std::vector<std::string>{"line number 39998", "line number 39999"}));
}

TEST(SandboxLogs, MissingSandboxAndRefusedAuthAreExplained) {
  FakeAgent agent(1024);
  auto missing = readSandboxTail(locationOf(agent), 10);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.message().find("garbage-collected"), std::string::npos) << missing.message();
  EXPECT_NE(missing.message().find(std::string(kSandbox) + "/stdout"), std::string::npos);

  agent.files[std::string(kSandbox) + "/stdout"] = "hello\n";
  agent.files[std::string(kSandbox) + "/stderr"] = "";
  agent.requiredAuth = "Basic Y29yYWw6czNjcmV0";
  auto refused = readSandboxTail(locationOf(agent), 10);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.message().find("HTTP 401"), std::string::npos) << refused.message();
  SandboxLocation authed = locationOf(agent);
  authed.authorization = "Basic Y29yYWw6czNjcmV0";
  auto ok = readSandboxTail(authed, 10);
  ASSERT_TRUE(ok) << ok.message();
  EXPECT_EQ(ok->stdoutLines, std::vector<std::string>{"hello"});
}

}  // namespace
}  // namespace coral::mesos
