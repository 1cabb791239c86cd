#include "mesos/recordio.h"

#include <algorithm>

namespace coral::mesos {

std::string encodeRecord(std::string_view record) {
  std::string out = std::to_string(record.size());
  out.reserve(out.size() + 1 + record.size());
  out += '\n';
  out.append(record);
  return out;
}

RecordIoDecoder::RecordIoDecoder(std::uint64_t maxRecordBytes) : maxRecordBytes_(maxRecordBytes) {}

bool RecordIoDecoder::midRecord() const {
  return state_ == State::kRecord || (state_ == State::kLength && lengthDigits_ > 0);
}

void RecordIoDecoder::reset() {
  state_ = State::kLength;
  length_ = 0;
  lengthDigits_ = 0;
  buffer_.clear();
}

Status RecordIoDecoder::feed(std::string_view bytes, const RecordFn& onRecord) {
  if (state_ == State::kFailed) {
    return makeError(
        "RecordIO stream: decoder already failed on earlier input; reconnect to "
        "start a new stream");
  }
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    if (state_ == State::kLength) {
      const char c = bytes[pos++];
      if (c == '\n') {
        if (lengthDigits_ == 0 || length_ == 0) {
          state_ = State::kFailed;
          return makeError(lengthDigits_ == 0
                               ? "RecordIO stream: empty record length line; the master sent a "
                                 "corrupt stream, reconnect"
                               : "RecordIO stream: record of length 0, which Mesos never sends; "
                                 "the stream is corrupt, reconnect");
        }
        state_ = State::kRecord;
        lengthDigits_ = 0;
        buffer_.clear();
        continue;
      }
      if (c < '0' || c > '9') {
        state_ = State::kFailed;
        return makeError(std::string("RecordIO stream: unexpected byte 0x") +
                         "0123456789abcdef"[(static_cast<unsigned char>(c) >> 4) & 0xf] +
                         "0123456789abcdef"[static_cast<unsigned char>(c) & 0xf] +
                         " in a record length (expected digits then '\\n'); the peer is not "
                         "speaking RecordIO or the stream is corrupt, reconnect");
      }
      length_ = length_ * 10 + static_cast<std::uint64_t>(c - '0');
      ++lengthDigits_;
      if (length_ > maxRecordBytes_) {
        state_ = State::kFailed;
        return makeError("RecordIO stream: record length exceeds the limit of " +
                         std::to_string(maxRecordBytes_) +
                         " bytes; the stream is corrupt or the limit is too small");
      }
      continue;
    }
    // State::kRecord
    const std::size_t available = bytes.size() - pos;
    const std::uint64_t missing = length_ - buffer_.size();
    if (buffer_.empty() && available >= length_) {
      // Whole record inside this buffer: hand it out without a copy.
      const std::string_view record = bytes.substr(pos, length_);
      pos += length_;
      state_ = State::kLength;
      length_ = 0;
      onRecord(record);
      continue;
    }
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(missing, available));
    if (buffer_.empty())
      buffer_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(length_, 1u << 20)));
    buffer_.append(bytes.substr(pos, take));
    pos += take;
    if (buffer_.size() == length_) {
      state_ = State::kLength;
      length_ = 0;
      onRecord(buffer_);
      buffer_.clear();
    }
  }
  return okStatus();
}

}  // namespace coral::mesos
