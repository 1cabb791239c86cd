// Encoding of scheduler calls and events as protobuf or JSON, and the
// content-type negotiation of /api/v1/scheduler. JSON follows Mesos' dialect:
// proto field names, enums as strings, 64-bit integers as JSON numbers.
#pragma once

#include <google/protobuf/message.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "mesos/proto.h"

namespace coral::mesos {

enum class ContentType { kProtobuf, kJson };

// Parses the `--content-type` flag value: "protobuf" (the default) or "json".
Result<ContentType> parseContentTypeFlag(std::string_view flag);

// "application/x-protobuf" or "application/json": the exact strings the
// master accepts in Content-Type (it rejects parameters such as charset).
std::string_view mediaType(ContentType type);

// "protobuf" or "json", for messages and test names.
std::string_view contentTypeName(ContentType type);

// Maps a response Content-Type back to an encoding; parameters after ';' are
// ignored. Empty when it is neither encoding.
std::optional<ContentType> contentTypeFromMediaType(std::string_view header);

// Serialises any message. JSON uses proto field names and writes 64-bit
// integers as numbers (protobuf's own printer quotes them, which Mesos'
// JSON reader does not expect).
Result<std::string> encodeMessage(const google::protobuf::Message& message, ContentType type);

// Parses a message as a client must: JSON keys and enum values the schema
// does not know are ignored (newer masters add them), unknown protobuf
// fields are kept aside by protobuf itself. Missing required fields are an
// error. JSON goes through readMesosJson (json_reader.h) for speed.
Status decodeMessage(std::string_view bytes, ContentType type, google::protobuf::Message* out);

inline Result<std::string> encodeCall(const v1::scheduler::Call& call, ContentType type) {
  return encodeMessage(call, type);
}
inline Status decodeEvent(std::string_view record, ContentType type, v1::scheduler::Event* out) {
  return decodeMessage(record, type, out);
}

}  // namespace coral::mesos
