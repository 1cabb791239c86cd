// HTTP/1.1 over the Docker daemon's Unix socket, one connection per request.
// It knows nothing about Docker resources: it moves bytes, decodes
// Content-Length, chunked and read-until-close bodies, and turns socket
// failures into errors that say how to get the daemon back.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "docker/cancel_signal.h"

namespace coral::docker {

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path and query, already percent-encoded
  std::string body;
  std::string content_type;  // sent only when there is a body
  // When set, the file's bytes are streamed as the body instead of `body`, so
  // an image tarball is never held in memory.
  std::string body_file;
  // Deadline for the whole exchange (connect to last body byte); zero means
  // none, for streams that are meant to stay open (/events).
  std::chrono::milliseconds timeout{60000};
};

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;  // empty when a 2xx body was handed to a BodySink instead
  // The body was not read to its end because the sink asked to stop or the
  // CancelSignal fired; not an error.
  bool stopped_early = false;
};

// Receives body bytes as they arrive, already de-chunked. Returns false to
// stop reading (the connection is then closed).
using BodySink = std::function<bool(std::string_view bytes)>;

class UnixHttpTransport {
 public:
  explicit UnixHttpTransport(std::string socket_path);

  const std::string& socketPath() const { return socket_path_; }

  // Sends the request and reads the whole response body into memory.
  Result<HttpResponse> roundTrip(const HttpRequest& request) const;

  // Like roundTrip, but a 2xx body goes to `sink` piece by piece as soon as
  // it arrives (event streams, exec output). Other bodies are still collected
  // in HttpResponse::body so the caller can quote Docker's error message.
  // `cancel` (optional) interrupts the exchange from another thread.
  Result<HttpResponse> stream(const HttpRequest& request, const BodySink& sink,
                              CancelSignal* cancel = nullptr) const;

 private:
  std::string socket_path_;
};

}  // namespace coral::docker
