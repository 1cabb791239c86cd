#include "mesos/codec.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "mesos/calls.h"

namespace coral::mesos {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::scheduler::Call sampleAccept() {
  v1::TaskInfo task;
  task.set_name("n");
  task.mutable_task_id()->set_value("node-1.0");
  task.mutable_agent_id()->set_value("S0");
  auto* ports = task.add_resources();
  ports->set_name("ports");
  ports->set_type(v1::Value::RANGES);
  auto* range = ports->mutable_ranges()->add_range();
  range->set_begin(8888);
  range->set_end(8888);
  ports->mutable_allocation_info()->set_role("*");
  v1::OfferID offer;
  offer.set_value("O1");
  auto call = calls::accept({offer}, {task}, 30);
  call.mutable_framework_id()->set_value("F1");
  return call;
}

class CodecRoundTrip : public ::testing::TestWithParam<ContentType> {};

TEST_P(CodecRoundTrip, CallSurvives) {
  const auto call = sampleAccept();
  auto encoded = encodeCall(call, GetParam());
  ASSERT_TRUE(encoded.ok()) << encoded.message();
  v1::scheduler::Call back;
  ASSERT_TRUE(decodeMessage(*encoded, GetParam(), &back).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(call, back)) << back.DebugString();
}

TEST_P(CodecRoundTrip, EventSurvives) {
  v1::scheduler::Event event;
  event.set_type(v1::scheduler::Event::UPDATE);
  auto* status = event.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value("t");
  status->set_state(v1::TASK_RUNNING);
  status->set_uuid(std::string("\x00\xff\x10 binary", 10));
  auto encoded = encodeMessage(event, GetParam());
  ASSERT_TRUE(encoded.ok());
  v1::scheduler::Event back;
  ASSERT_TRUE(decodeEvent(*encoded, GetParam(), &back).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(event, back));
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, CodecRoundTrip,
                         ::testing::Values(ContentType::kProtobuf, ContentType::kJson),
                         [](const auto& info) { return std::string(contentTypeName(info.param)); });

TEST(Codec, JsonIsMesosDialect) {
  auto json = encodeCall(sampleAccept(), ContentType::kJson);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\"framework_id\":{\"value\":\"F1\"}"), std::string::npos) << *json;
  EXPECT_NE(json->find("\"type\":\"ACCEPT\""), std::string::npos);
  EXPECT_NE(json->find("\"begin\":8888"), std::string::npos)
      << "uint64 must be a JSON number: " << *json;
  EXPECT_EQ(json->find("frameworkId"), std::string::npos);
  EXPECT_NE(json->find("\"refuse_seconds\":30"), std::string::npos);
}

TEST(Codec, ClientIgnoresUnknownJsonFieldsAndEnumValues) {
  v1::scheduler::Event event;
  const std::string json =
      R"({"type":"SUBSCRIBED","future_field":{"x":1},"subscribed":{"framework_id":{"value":"F"},)"
      R"("heartbeat_interval_seconds":15.0,"master_info":{"id":"m","ip":16777343,"port":5050,)"
      R"("capabilities":[{"type":"SOME_FUTURE_CAPABILITY"}]}}})";
  auto status = decodeEvent(json, ContentType::kJson, &event);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(event.subscribed().framework_id().value(), "F");
  EXPECT_DOUBLE_EQ(event.subscribed().heartbeat_interval_seconds(), 15.0);
}

// A newer master's event types (e.g. UPDATE_OPERATION_STATUS, absent from the
// v1 schema Debian ships) decode as UNKNOWN, which the backend ignores.
TEST(Codec, EventTypesOfNewerMastersDecodeAsUnknown) {
  v1::scheduler::Event fromJson;
  auto json = decodeEvent(R"({"type":"UPDATE_OPERATION_STATUS","update_operation_status":)"
                          R"({"status":{"operation_id":{"value":"op"},"state":"OPERATION_FINISHED"}}})",
                          ContentType::kJson, &fromJson);
  ASSERT_TRUE(json.ok()) << json.message();
  EXPECT_EQ(fromJson.type(), v1::scheduler::Event::UNKNOWN);

  // type = 99 (field 1, varint), then an unknown field 20 (length-delimited, empty).
  const std::string bytes("\x08\x63\xa2\x01\x00", 5);
  v1::scheduler::Event fromProtobuf;
  auto protobuf = decodeEvent(bytes, ContentType::kProtobuf, &fromProtobuf);
  ASSERT_TRUE(protobuf.ok()) << protobuf.message();
  EXPECT_EQ(fromProtobuf.type(), v1::scheduler::Event::UNKNOWN);
}

TEST(Codec, ErrorsNameTheCause) {
  v1::scheduler::Event event;
  EXPECT_FALSE(decodeEvent("\xff\xff\xff", ContentType::kProtobuf, &event).ok());
  auto bad = decodeEvent("{\"type\":", ContentType::kJson, &event);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("JSON"), std::string::npos);
  v1::scheduler::Call incomplete;
  incomplete.set_type(v1::scheduler::Call::ACKNOWLEDGE);
  incomplete.mutable_acknowledge();  // agent_id, task_id, uuid missing
  auto encoded = encodeCall(incomplete, ContentType::kJson);
  ASSERT_FALSE(encoded.ok());
  EXPECT_NE(encoded.message().find("required"), std::string::npos);
}

TEST(Codec, ContentTypeNegotiation) {
  EXPECT_EQ(*parseContentTypeFlag("protobuf"), ContentType::kProtobuf);
  EXPECT_EQ(*parseContentTypeFlag("json"), ContentType::kJson);
  EXPECT_FALSE(parseContentTypeFlag("xml").ok());
  EXPECT_EQ(mediaType(ContentType::kJson), "application/json");
  EXPECT_EQ(mediaType(ContentType::kProtobuf), "application/x-protobuf");
  EXPECT_EQ(contentTypeFromMediaType("application/json; charset=utf-8"), ContentType::kJson);
  EXPECT_EQ(contentTypeFromMediaType("application/x-protobuf"), ContentType::kProtobuf);
  EXPECT_FALSE(contentTypeFromMediaType("text/plain").has_value());
}

}  // namespace
}  // namespace coral::mesos
