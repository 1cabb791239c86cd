// Strict parsing of scheduler calls for the test master: stricter than a real
// master on purpose, so client mistakes that a real master silently drops
// (unknown or camelCase keys, numeric enums, quoted integers) fail tests.
#pragma once

#include <string_view>

#include "core/result.h"
#include "mesos/codec.h"
#include "mesos/proto.h"

namespace coral::mesos::testing {

// JSON: every key must be a proto field name of the schema, enums strings
// naming a value, 64-bit integers numbers, then JsonStringToMessage without
// ignore_unknown_fields. Protobuf: must parse with all required fields and
// leave no unknown field anywhere.
Status strictDecode(std::string_view body, ContentType type, google::protobuf::Message* out);

}  // namespace coral::mesos::testing
