// A Server on a temp unix socket and 127.0.0.1:<ephemeral>, with its
// io_context run by one thread, for the api tests.
#pragma once

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "api/client.h"
#include "api/server.h"

namespace coral::api::testing {

inline const std::string kToken = "s3cret-token";

class ApiFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/coral-api-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    socket_path_ = dir_ + "/api.sock";
  }

  void TearDown() override {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(threads_mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
    stopServer();
    std::filesystem::remove_all(dir_);
  }

  void startServer(Router router, AuthPolicy auth = AuthPolicy{kToken, {"/healthz"}},
                   ServerOptions options = {}) {
    options.log = [this](const std::string& line) {
      std::lock_guard lock(log_mu_);
      logs_.push_back(line);
    };
    server_ = std::make_unique<Server>(ioc_, std::move(router), std::move(auth), options);
    auto s = server_->listenUnix(socket_path_);
    ASSERT_TRUE(s.ok()) << s.message();
    s = server_->listenTcp("127.0.0.1", 0);
    ASSERT_TRUE(s.ok()) << s.message();
    work_.emplace(boost::asio::make_work_guard(ioc_));
    io_thread_ = std::thread([this] { ioc_.run(); });
  }

  void stopServer() {
    if (!server_) return;
    boost::asio::post(ioc_, [this] { server_->stop(); });
    work_.reset();
    io_thread_.join();
    server_.reset();
  }

  Client unixClient(const std::string& token = kToken) {
    return Client(Endpoint{.unix_path = socket_path_}, token);
  }
  Client tcpClient(const std::string& token = kToken) {
    return Client(Endpoint{.host = "127.0.0.1", .port = server_->tcpPort()}, token);
  }

  // Runs `fn` on a new thread, joined in TearDown before the server stops
  // (e.g. a handler that answers later).
  void spawn(std::function<void()> fn) {
    std::lock_guard lock(threads_mu_);
    threads_.emplace_back(std::move(fn));
  }

  std::string logs() {
    std::lock_guard lock(log_mu_);
    std::string out;
    for (const auto& l : logs_) out += l + "\n";
    return out;
  }

  // Polls `condition` for up to 5 s.
  static bool eventually(const std::function<bool()>& condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
  }

  std::string dir_;
  std::string socket_path_;
  boost::asio::io_context ioc_;
  std::unique_ptr<Server> server_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread io_thread_;
  std::mutex threads_mu_;
  std::vector<std::thread> threads_;
  std::mutex log_mu_;
  std::vector<std::string> logs_;
};

}  // namespace coral::api::testing
