// RecordIO, the framing of the SUBSCRIBE event stream: "<decimal length>\n"
// followed by exactly that many bytes, repeated, with no separator. The
// decoder is incremental and independent of how the bytes were chunked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace coral::mesos {

// Wraps one record: "<size>\n<record>".
std::string encodeRecord(std::string_view record);

// Incremental decoder. Feed it whatever the transport delivered (any split,
// even one byte at a time); it calls `onRecord` once per complete record. A
// record that fits in one fed buffer is passed without copying.
//
//   RecordIoDecoder decoder;
//   decoder.feed("5\nhel", on);   // nothing yet
//   decoder.feed("lo3\nabc", on); // on("hello"), on("abc")
//
// A malformed header (non-digit, empty, zero or too large length) puts the
// decoder in a failed state: the stream cannot be resynchronised, so the
// caller must drop the connection.
class RecordIoDecoder {
 public:
  // 64 MiB: far above any real event (a 1,000-offer OFFERS event is ~1 MB)
  // but small enough that a corrupt length cannot make us buffer gigabytes.
  static constexpr std::uint64_t kDefaultMaxRecordBytes = 64ull << 20;

  explicit RecordIoDecoder(std::uint64_t maxRecordBytes = kDefaultMaxRecordBytes);

  using RecordFn = std::function<void(std::string_view record)>;

  // Decodes as many records as `bytes` completes. Stops at the first error.
  Status feed(std::string_view bytes, const RecordFn& onRecord);

  // True when part of a record (or of its length line) is buffered, i.e. the
  // stream ended in the middle of a record. That partial record is never
  // delivered.
  bool midRecord() const;

  bool failed() const { return state_ == State::kFailed; }

  // Forgets everything buffered (used when a new connection starts).
  void reset();

 private:
  enum class State { kLength, kRecord, kFailed };

  std::uint64_t maxRecordBytes_;
  State state_ = State::kLength;
  std::uint64_t length_ = 0;      // record length being read or expected
  std::size_t lengthDigits_ = 0;  // digits seen for the current length
  std::string buffer_;            // partial record spanning feed() calls
};

}  // namespace coral::mesos
