// A stand-in for dockerd on a temporary Unix socket: records each request and
// answers with canned raw bytes, so the client's HTTP handling (chunking,
// split frames, error bodies) is tested byte for byte without Docker.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace coral::docker::fake {

struct RecordedRequest {
  std::string method;
  std::string target;                          // as sent, percent-encoded
  std::string path;                            // target before '?'
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct FakeReply {
  std::vector<std::string> pieces;  // written one after another, each flushed
  // Keep the connection open after writing until the client closes it (a
  // stream that never ends, like /events).
  bool hold_open = false;
};

// Canned replies.
FakeReply jsonReply(int status, const nlohmann::json& body);
FakeReply emptyReply(int status);
FakeReply chunkedReply(int status, const std::string& content_type,
                       const std::vector<std::string>& chunks);
// A body delimited by closing the connection, as Docker's hijacked exec stream is.
FakeReply untilCloseReply(int status, const std::string& content_type,
                          const std::vector<std::string>& pieces);
// One multiplexed-stream frame.
std::string frame(int stream, const std::string& payload);

class FakeDockerServer {
 public:
  using Handler = std::function<FakeReply(const RecordedRequest&)>;

  explicit FakeDockerServer(Handler handler);
  ~FakeDockerServer();

  const std::string& socketPath() const { return socket_path_; }
  std::vector<RecordedRequest> requests() const;
  // Number of connections whose reply has been fully written.
  int repliesSent() const { return replies_sent_.load(); }

 private:
  void acceptLoop();
  void serve(int fd);

  Handler handler_;
  std::string dir_;
  std::string socket_path_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  std::vector<std::thread> connections_;
  std::atomic<int> replies_sent_{0};
};

}  // namespace coral::docker::fake
