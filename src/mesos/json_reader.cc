#include "mesos/json_reader.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace coral::mesos {

namespace pb = google::protobuf;
using Json = nlohmann::json;

namespace {

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

bool base64Decode(const std::string& in, std::string* out) {
  out->clear();
  out->reserve(in.size() / 4 * 3);
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : in) {
    if (c == '=') break;
    const int v = base64Value(c);
    if (v < 0) return false;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return true;
}

bool readDouble(const Json& value, double* out) {
  if (value.is_number()) {
    *out = value.get<double>();
    return true;
  }
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s == "Infinity")
      *out = std::numeric_limits<double>::infinity();
    else if (s == "-Infinity")
      *out = -std::numeric_limits<double>::infinity();
    else if (s == "NaN")
      *out = std::numeric_limits<double>::quiet_NaN();
    else
      return false;
    return true;
  }
  return false;
}

// A SAX handler that writes straight into the message tree: no JSON DOM is
// built, which is where most of the time of a DOM-based reader goes.
class MessageWriter final : public nlohmann::json_sax<Json> {
 public:
  explicit MessageWriter(pb::Message* root) : root_(root) {}

  const std::string& error() const { return error_; }

  bool null() override {
    if (skipping()) return true;
    if (!top().inArray) top().field = nullptr;  // null = unset
    return true;
  }
  bool boolean(bool value) override {
    return scalar([&](const pb::FieldDescriptor* f, pb::Message* m, const pb::Reflection* r) {
      if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_BOOL) return fail(f, "true or false");
      f->is_repeated() ? r->AddBool(m, f, value) : r->SetBool(m, f, value);
      return true;
    });
  }
  bool number_integer(number_integer_t value) override {
    return scalar([&](const pb::FieldDescriptor* f, pb::Message* m, const pb::Reflection* r) {
      return setNumber(f, m, r, static_cast<double>(value),
                       value < 0 ? std::optional<std::int64_t>(value) : std::nullopt,
                       value >= 0 ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(value))
                                  : std::nullopt);
    });
  }
  bool number_unsigned(number_unsigned_t value) override {
    return scalar([&](const pb::FieldDescriptor* f, pb::Message* m, const pb::Reflection* r) {
      return setNumber(f, m, r, static_cast<double>(value), std::nullopt,
                       std::optional<std::uint64_t>(value));
    });
  }
  bool number_float(number_float_t value, const string_t&) override {
    return scalar([&](const pb::FieldDescriptor* f, pb::Message* m, const pb::Reflection* r) {
      std::optional<std::int64_t> asSigned;
      std::optional<std::uint64_t> asUnsigned;
      if (value == std::floor(value) && std::fabs(value) < 9.2e18) {
        if (value < 0)
          asSigned = static_cast<std::int64_t>(value);
        else
          asUnsigned = static_cast<std::uint64_t>(value);
      }
      return setNumber(f, m, r, value, asSigned, asUnsigned, /*isFloat=*/true);
    });
  }
  bool string(string_t& value) override {
    return scalar([&](const pb::FieldDescriptor* f, pb::Message* m, const pb::Reflection* r) {
      return setString(f, m, r, value);
    });
  }
  bool binary(binary_t&) override {
    return scalar([&](auto f, auto, auto) { return fail(f, "not binary"); });
  }

  bool start_object(std::size_t) override {
    if (enterSkip()) return true;
    if (stack_.empty()) {
      stack_.push_back(Frame{root_});
      return true;
    }
    Frame& parent = top();
    const pb::FieldDescriptor* field = parent.field;
    if (field == nullptr) return true;  // cannot happen: keys set the field
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE)
      return fail(field, "a scalar, not an object");
    if (field->is_repeated() && !parent.inArray) return fail(field, "an array");
    const pb::Reflection* r = parent.message->GetReflection();
    pb::Message* child = field->is_repeated() ? r->AddMessage(parent.message, field)
                                              : r->MutableMessage(parent.message, field);
    stack_.push_back(Frame{child});
    return true;
  }
  bool end_object() override {
    if (leaveSkip()) return true;
    stack_.pop_back();
    if (!stack_.empty() && !top().inArray) top().field = nullptr;
    return true;
  }
  bool start_array(std::size_t) override {
    if (enterSkip()) return true;
    const pb::FieldDescriptor* field = top().field;
    if (field == nullptr || !field->is_repeated())
      return fail(field, "a single value, not an array");
    top().inArray = true;
    return true;
  }
  bool end_array() override {
    if (leaveSkip()) return true;
    top().inArray = false;
    top().field = nullptr;
    return true;
  }
  bool key(string_t& name) override {
    if (skipDepth_ > 0) return true;
    const pb::FieldDescriptor* field = top().message->GetDescriptor()->FindFieldByName(name);
    // Unknown keys (fields of a newer Mesos) are skipped, as Mesos does.
    if (field == nullptr || field->is_map()) {
      skipNext_ = true;
      top().field = nullptr;
    } else {
      top().field = field;
    }
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) override {
    error_ = "not valid JSON at byte " + std::to_string(position) + " (" + e.what() + ")";
    return false;
  }

 private:
  struct Frame {
    pb::Message* message;
    const pb::FieldDescriptor* field = nullptr;
    bool inArray = false;
  };

  Frame& top() { return stack_.back(); }
  bool skipping() {
    if (skipDepth_ > 0) return true;
    if (skipNext_) {
      skipNext_ = false;
      return true;
    }
    return false;
  }
  bool enterSkip() {
    if (skipDepth_ > 0) {
      ++skipDepth_;
      return true;
    }
    if (skipNext_) {
      skipNext_ = false;
      skipDepth_ = 1;
      return true;
    }
    return false;
  }
  bool leaveSkip() {
    if (skipDepth_ == 0) return false;
    --skipDepth_;
    return true;
  }

  template <typename Fn>
  bool scalar(Fn&& set) {
    if (skipping()) return true;
    if (stack_.empty()) return failText("expected a JSON object");
    Frame& frame = top();
    const pb::FieldDescriptor* field = frame.field;
    if (field == nullptr) return true;
    if (field->is_repeated() && !frame.inArray) return fail(field, "an array");
    if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) return fail(field, "an object");
    if (!set(field, frame.message, frame.message->GetReflection())) return false;
    if (!frame.inArray) frame.field = nullptr;
    return true;
  }

  bool setNumber(const pb::FieldDescriptor* f, pb::Message* m, const pb::Reflection* r,
                 double asDouble, std::optional<std::int64_t> asSigned,
                 std::optional<std::uint64_t> asUnsigned, bool isFloat = false) {
    const bool rep = f->is_repeated();
    auto fits = [&](auto min, auto max) {
      if (asUnsigned) return *asUnsigned <= static_cast<std::uint64_t>(max);
      if (asSigned) return min < 0 && *asSigned >= static_cast<std::int64_t>(min);
      return false;
    };
    auto integer = [&]() -> std::int64_t {
      return asSigned ? *asSigned : static_cast<std::int64_t>(*asUnsigned);
    };
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        rep ? r->AddDouble(m, f, asDouble) : r->SetDouble(m, f, asDouble);
        return true;
      case pb::FieldDescriptor::CPPTYPE_FLOAT: {
        const auto v = static_cast<float>(asDouble);
        rep ? r->AddFloat(m, f, v) : r->SetFloat(m, f, v);
        return true;
      }
      case pb::FieldDescriptor::CPPTYPE_INT32:
        if (!fits(std::numeric_limits<std::int32_t>::min(),
                  std::numeric_limits<std::int32_t>::max()))
          return fail(f, "a 32-bit integer");
        rep ? r->AddInt32(m, f, static_cast<std::int32_t>(integer()))
            : r->SetInt32(m, f, static_cast<std::int32_t>(integer()));
        return true;
      case pb::FieldDescriptor::CPPTYPE_INT64:
        if (!fits(std::numeric_limits<std::int64_t>::min(),
                  std::numeric_limits<std::int64_t>::max()))
          return fail(f, "a 64-bit integer");
        rep ? r->AddInt64(m, f, integer()) : r->SetInt64(m, f, integer());
        return true;
      case pb::FieldDescriptor::CPPTYPE_UINT32:
        if (!asUnsigned || *asUnsigned > std::numeric_limits<std::uint32_t>::max())
          return fail(f, "an unsigned 32-bit integer");
        rep ? r->AddUInt32(m, f, static_cast<std::uint32_t>(*asUnsigned))
            : r->SetUInt32(m, f, static_cast<std::uint32_t>(*asUnsigned));
        return true;
      case pb::FieldDescriptor::CPPTYPE_UINT64:
        if (!asUnsigned) return fail(f, "an unsigned 64-bit integer");
        rep ? r->AddUInt64(m, f, *asUnsigned) : r->SetUInt64(m, f, *asUnsigned);
        return true;
      case pb::FieldDescriptor::CPPTYPE_ENUM: {
        if (isFloat || !fits(std::numeric_limits<int>::min(), std::numeric_limits<int>::max()))
          return fail(f, "an enum name");
        const auto* e = f->enum_type()->FindValueByNumber(static_cast<int>(integer()));
        if (e != nullptr) rep ? r->AddEnum(m, f, e) : r->SetEnum(m, f, e);
        return true;
      }
      default:
        return fail(f, "not a number");
    }
  }

  bool setString(const pb::FieldDescriptor* f, pb::Message* m, const pb::Reflection* r,
                 std::string& value) {
    const bool rep = f->is_repeated();
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_STRING:
        if (f->type() == pb::FieldDescriptor::TYPE_BYTES) {
          std::string decoded;
          if (!base64Decode(value, &decoded)) return fail(f, "base64");
          rep ? r->AddString(m, f, std::move(decoded)) : r->SetString(m, f, std::move(decoded));
        } else {
          rep ? r->AddString(m, f, std::move(value)) : r->SetString(m, f, std::move(value));
        }
        return true;
      case pb::FieldDescriptor::CPPTYPE_ENUM: {
        // A value of a newer Mesos is dropped, as Mesos drops unknown enums.
        const auto* e = f->enum_type()->FindValueByName(value);
        if (e != nullptr) rep ? r->AddEnum(m, f, e) : r->SetEnum(m, f, e);
        return true;
      }
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      case pb::FieldDescriptor::CPPTYPE_FLOAT: {
        double d = 0;
        if (!readDouble(Json(value), &d)) return fail(f, "a number");
        return setNumber(f, m, r, d, std::nullopt, std::nullopt, true);
      }
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        return fail(f, "true or false");
      default: {
        // 64-bit integers may be quoted (proto3 JSON style).
        try {
          std::size_t used = 0;
          if (!value.empty() && value.front() == '-') {
            const long long v = std::stoll(value, &used);
            if (used != value.size()) return fail(f, "an integer");
            return setNumber(f, m, r, static_cast<double>(v), std::optional<std::int64_t>(v),
                             std::nullopt);
          }
          const unsigned long long v = std::stoull(value, &used);
          if (used != value.size()) return fail(f, "an integer");
          return setNumber(f, m, r, static_cast<double>(v), std::nullopt,
                           std::optional<std::uint64_t>(v));
        } catch (...) {
          return fail(f, "an integer");
        }
      }
    }
  }

  bool fail(const pb::FieldDescriptor* field, const char* expected) {
    error_ = field ? "field '" + field->full_name() + "' must be " + expected
                   : std::string("unexpected ") + expected;
    return false;
  }
  bool failText(const std::string& text) {
    error_ = text;
    return false;
  }

  pb::Message* root_;
  std::vector<Frame> stack_;
  bool skipNext_ = false;
  int skipDepth_ = 0;
  std::string error_;
};

}  // namespace

Status readMesosJson(std::string_view json, pb::Message* out) {
  out->Clear();
  const std::size_t first = json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || json[first] != '{')
    return makeError("expected a JSON object");
  MessageWriter writer(out);
  if (!Json::sax_parse(json.begin(), json.end(), &writer, nlohmann::detail::input_format_t::json,
                       true)) {
    return makeError(writer.error().empty() ? "not valid JSON" : writer.error());
  }
  if (!out->IsInitialized()) {
    return makeError("missing required fields: " + out->InitializationErrorString());
  }
  return okStatus();
}

}  // namespace coral::mesos
