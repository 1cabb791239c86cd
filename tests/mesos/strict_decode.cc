#include "strict_decode.h"

#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

namespace coral::mesos::testing {

namespace pb = google::protobuf;

namespace {

Status checkJson(const nlohmann::json& value, const pb::Descriptor* descriptor,
                 const std::string& path) {
  if (!value.is_object())
    return makeError(path + ": expected an object for " + descriptor->full_name());
  for (const auto& [key, item] : value.items()) {
    const std::string where = path.empty() ? key : path + "." + key;
    const pb::FieldDescriptor* field = descriptor->FindFieldByName(key);
    if (field == nullptr) {
      return makeError("unknown field '" + where + "' (not a proto field name of " +
                       descriptor->full_name() + "; camelCase keys are silently dropped by Mesos)");
    }
    if (item.is_null())
      return makeError(where + ": null (Mesos treats it as unset; do not send it)");
    std::vector<const nlohmann::json*> elements;
    if (field->is_repeated()) {
      if (!item.is_array()) return makeError(where + ": repeated field must be a JSON array");
      for (const auto& element : item) elements.push_back(&element);
    } else {
      elements.push_back(&item);
    }
    for (const nlohmann::json* element : elements) {
      switch (field->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_MESSAGE:
          if (auto s = checkJson(*element, field->message_type(), where); !s) return s;
          break;
        case pb::FieldDescriptor::CPPTYPE_ENUM:
          if (!element->is_string())
            return makeError(where + ": enum must be a string (Mesos rejects numbers)");
          if (field->enum_type()->FindValueByName(element->get<std::string>()) == nullptr) {
            return makeError(where + ": '" + element->get<std::string>() + "' is not a value of " +
                             field->enum_type()->full_name() + " (Mesos drops it silently)");
          }
          break;
        case pb::FieldDescriptor::CPPTYPE_INT64:
        case pb::FieldDescriptor::CPPTYPE_UINT64:
        case pb::FieldDescriptor::CPPTYPE_INT32:
        case pb::FieldDescriptor::CPPTYPE_UINT32:
          if (!element->is_number_integer())
            return makeError(where + ": integer must be a JSON integer number");
          break;
        case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        case pb::FieldDescriptor::CPPTYPE_FLOAT:
          if (!element->is_number()) return makeError(where + ": must be a JSON number");
          break;
        case pb::FieldDescriptor::CPPTYPE_BOOL:
          if (!element->is_boolean()) return makeError(where + ": must be true or false");
          break;
        case pb::FieldDescriptor::CPPTYPE_STRING:
          if (!element->is_string()) return makeError(where + ": must be a JSON string");
          break;
      }
    }
  }
  return okStatus();
}

Status checkNoUnknownFields(const pb::Message& message, const std::string& path) {
  const pb::Reflection* reflection = message.GetReflection();
  if (!reflection->GetUnknownFields(message).empty()) {
    return makeError("unknown protobuf field(s) in " +
                     (path.empty() ? message.GetTypeName() : path));
  }
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string where = path.empty() ? field->name() : path + "." + field->name();
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        if (auto s = checkNoUnknownFields(reflection->GetRepeatedMessage(message, field, i), where);
            !s)
          return s;
      }
    } else if (auto s = checkNoUnknownFields(reflection->GetMessage(message, field), where); !s) {
      return s;
    }
  }
  return okStatus();
}

}  // namespace

Status strictDecode(std::string_view body, ContentType type, pb::Message* out) {
  if (type == ContentType::kProtobuf) {
    if (!out->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return makeError("Failed to parse body into Call protobuf (" +
                       out->InitializationErrorString() + ")");
    }
    return checkNoUnknownFields(*out, "");
  }
  const auto tree = nlohmann::json::parse(body, nullptr, false);
  if (tree.is_discarded()) return makeError("Failed to parse body into JSON: syntax error");
  if (auto s = checkJson(tree, out->GetDescriptor(), ""); !s) return s;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status =
      pb::util::JsonStringToMessage(pb::StringPiece(body.data(), body.size()), out, options);
  if (!status.ok())
    return makeError("Failed to convert JSON into Call protobuf: " + std::string(status.message()));
  return okStatus();
}

}  // namespace coral::mesos::testing
