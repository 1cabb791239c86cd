#include "docker/multiplexed_stream.h"

#include <fmt/format.h>

#include <algorithm>

namespace coral::docker {

Status MultiplexedStreamDecoder::feed(std::string_view bytes, const PayloadSink& sink) {
  if (failed_) return makeError("multiplexed stream decoder used after a framing error");
  while (!bytes.empty()) {
    if (payload_left_ == 0) {
      const size_t take = std::min(kHeaderSize - header_filled_, bytes.size());
      std::copy_n(bytes.begin(), take, header_.begin() + header_filled_);
      header_filled_ += take;
      bytes.remove_prefix(take);
      if (header_filled_ < kHeaderSize) return okStatus();
      header_filled_ = 0;
      if (header_[0] > 3 || header_[1] != 0 || header_[2] != 0 || header_[3] != 0) {
        failed_ = true;
        return makeError(fmt::format(
            "Docker's output stream is not multiplexed: frame header starts with bytes {:#04x} "
            "{:#04x} {:#04x} {:#04x}, expected a stream number 0-3 and three zero bytes; this "
            "happens when the container was created with a TTY, which Coral never does — "
            "recreate the container without `Tty`",
            header_[0], header_[1], header_[2], header_[3]));
      }
      kind_ = static_cast<StreamKind>(header_[0]);
      payload_left_ = (uint32_t{header_[4]} << 24) | (uint32_t{header_[5]} << 16) |
                      (uint32_t{header_[6]} << 8) | uint32_t{header_[7]};
      continue;  // zero-length frames are legal and simply skipped
    }
    const size_t take = std::min<size_t>(payload_left_, bytes.size());
    sink(kind_, bytes.substr(0, take));
    payload_left_ -= static_cast<uint32_t>(take);
    bytes.remove_prefix(take);
  }
  return okStatus();
}

}  // namespace coral::docker
