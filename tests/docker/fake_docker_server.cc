#include "fake_docker_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace coral::docker::fake {
namespace {

std::string reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 500:
      return "Internal Server Error";
    default:
      return "Status";
  }
}

std::string percentDecode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool writeAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Waits until `fd` is readable or the stop pipe fires; false on stop.
bool waitReadable(int fd, int stop_fd) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  while (::poll(fds, 2, -1) < 0) {
    if (errno != EINTR) return false;
  }
  return (fds[1].revents & POLLIN) == 0;
}

}  // namespace

FakeReply jsonReply(int status, const nlohmann::json& body) {
  std::string text = body.dump();
  return {
      {fmt::format("HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: "
                   "{}\r\n\r\n{}",
                   status, reasonPhrase(status), text.size(), text)}};
}

FakeReply emptyReply(int status) {
  return {{fmt::format("HTTP/1.1 {} {}\r\n\r\n", status, reasonPhrase(status))}};
}

FakeReply chunkedReply(int status, const std::string& content_type,
                       const std::vector<std::string>& chunks) {
  FakeReply reply;
  reply.pieces.push_back(
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
                  status, reasonPhrase(status), content_type));
  for (const auto& chunk : chunks) {
    reply.pieces.push_back(fmt::format("{:x}\r\n{}\r\n", chunk.size(), chunk));
  }
  reply.pieces.push_back("0\r\n\r\n");
  return reply;
}

FakeReply untilCloseReply(int status, const std::string& content_type,
                          const std::vector<std::string>& pieces) {
  FakeReply reply;
  reply.pieces.push_back(fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\n\r\n", status,
                                     reasonPhrase(status), content_type));
  reply.pieces.insert(reply.pieces.end(), pieces.begin(), pieces.end());
  return reply;
}

std::string frame(int stream, const std::string& payload) {
  std::string header(8, '\0');
  header[0] = static_cast<char>(stream);
  const uint32_t size = static_cast<uint32_t>(payload.size());
  header[4] = static_cast<char>(size >> 24);
  header[5] = static_cast<char>(size >> 16);
  header[6] = static_cast<char>(size >> 8);
  header[7] = static_cast<char>(size);
  return header + payload;
}

FakeDockerServer::FakeDockerServer(Handler handler) : handler_(std::move(handler)) {
  char dir_template[] = "/tmp/coral-fake-docker-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = dir_template;
  socket_path_ = dir_ + "/docker.sock";
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path_.c_str(), sizeof(addr.sun_path) - 1);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 16) != 0 || ::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    throw std::runtime_error("fake docker server: cannot listen on " + socket_path_);
  }
  acceptor_ = std::thread([this] { acceptLoop(); });
}

FakeDockerServer::~FakeDockerServer() {
  (void)::write(stop_pipe_[1], "x", 1);
  acceptor_.join();
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (auto& connection : connections) connection.join();
  ::close(listen_fd_);
  ::close(stop_pipe_[0]);
  ::close(stop_pipe_[1]);
  std::filesystem::remove_all(dir_);
}

std::vector<RecordedRequest> FakeDockerServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void FakeDockerServer::acceptLoop() {
  while (waitReadable(listen_fd_, stop_pipe_[0])) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    connections_.emplace_back([this, fd] { serve(fd); });
  }
}

void FakeDockerServer::serve(int fd) {
  std::string data;
  char buffer[65536];
  size_t header_end = std::string::npos;
  size_t content_length = 0;
  RecordedRequest request;
  while (true) {
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::string head = data.substr(0, header_end);
        size_t line_end = head.find("\r\n");
        std::string request_line = head.substr(0, line_end);
        size_t sp1 = request_line.find(' ');
        size_t sp2 = request_line.rfind(' ');
        request.method = request_line.substr(0, sp1);
        request.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
        size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
        while (pos < head.size()) {
          size_t end = head.find("\r\n", pos);
          if (end == std::string::npos) end = head.size();
          std::string line = head.substr(pos, end - pos);
          size_t colon = line.find(':');
          std::string name = line.substr(0, colon);
          std::transform(name.begin(), name.end(), name.begin(), ::tolower);
          std::string value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          request.headers[name] = value;
          pos = end + 2;
        }
        if (request.headers.count("content-length")) {
          content_length = std::stoul(request.headers["content-length"]);
        }
      }
    }
    if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
    if (!waitReadable(fd, stop_pipe_[0])) {
      ::close(fd);
      return;
    }
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      ::close(fd);
      return;
    }
    data.append(buffer, static_cast<size_t>(n));
  }
  request.body = data.substr(header_end + 4, content_length);
  size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) {
    std::string query = request.target.substr(question + 1);
    size_t start = 0;
    while (start <= query.size()) {
      size_t amp = query.find('&', start);
      if (amp == std::string::npos) amp = query.size();
      std::string pair = query.substr(start, amp - start);
      size_t eq = pair.find('=');
      if (!pair.empty()) {
        request.query[percentDecode(pair.substr(0, eq))] =
            eq == std::string::npos ? "" : percentDecode(pair.substr(eq + 1));
      }
      start = amp + 1;
    }
  }
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  FakeReply reply = handler_(request);
  for (const auto& piece : reply.pieces) {
    if (!writeAll(fd, piece)) break;
  }
  replies_sent_++;
  if (reply.hold_open) {
    // Wait for the client to hang up (read returns 0) or the server to stop.
    while (waitReadable(fd, stop_pipe_[0])) {
      if (::recv(fd, buffer, sizeof(buffer), 0) <= 0) break;
    }
  }
  ::close(fd);
}

}  // namespace coral::docker::fake
