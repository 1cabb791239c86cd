// Decodes Docker's multiplexed stdout/stderr stream (exec and logs of a
// container without a TTY): frames of an 8-byte header {stream, 0, 0, 0,
// big-endian uint32 length} then the payload. Incremental, because frames
// arrive split at arbitrary points across socket reads and HTTP chunks.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>

#include "core/result.h"

namespace coral::docker {

enum class StreamKind : uint8_t { kStdin = 0, kStdout = 1, kStderr = 2, kSystemError = 3 };

class MultiplexedStreamDecoder {
 public:
  // Receives payload bytes in order. A frame's payload may arrive in several
  // pieces; consecutive pieces of one frame carry the same kind.
  using PayloadSink = std::function<void(StreamKind kind, std::string_view payload)>;

  // Fails on a header that cannot be Docker's (the stream is not multiplexed,
  // e.g. the container has a TTY); the decoder is unusable afterwards.
  Status feed(std::string_view bytes, const PayloadSink& sink);

  // True when no frame is half-received: at the end of the stream, false
  // means Docker's output was cut off.
  bool atFrameBoundary() const { return header_filled_ == 0 && payload_left_ == 0; }

 private:
  static constexpr size_t kHeaderSize = 8;
  std::array<uint8_t, kHeaderSize> header_{};
  size_t header_filled_ = 0;
  uint32_t payload_left_ = 0;
  StreamKind kind_ = StreamKind::kStdout;
  bool failed_ = false;
};

}  // namespace coral::docker
