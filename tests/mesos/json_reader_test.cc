#include "mesos/json_reader.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "fixtures.h"
#include "mesos/codec.h"
#include "mesos/recordio.h"

namespace coral::mesos {
namespace {

// Differential test: on every event a real master sent, the fast reader
// gives exactly what protobuf's own JSON parser gives.
TEST(JsonReader, AgreesWithJsonStringToMessageOnEveryRecordedEvent) {
  CORAL_REQUIRE_FIXTURES();
  int compared = 0;
  for (const char* stream : {"json/stream1-subscribe.recordio",
                             "json/stream2-second-subscribe-same-framework-id.recordio",
                             "json/stream3-resubscribe-after-close.recordio",
                             "json/stream4-task-killing-state.recordio"}) {
    RecordIoDecoder decoder;
    ASSERT_TRUE(
        decoder
            .feed(testing::readFixture(stream),
                  [&](std::string_view record) {
                    v1::scheduler::Event fast;
                    v1::scheduler::Event reference;
                    auto read = readMesosJson(record, &fast);
                    ASSERT_TRUE(read.ok()) << read.message();
                    google::protobuf::util::JsonParseOptions options;
                    options.ignore_unknown_fields = true;
                    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(record),
                                                                            &reference, options)
                                    .ok());
                    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(fast, reference))
                        << record.substr(0, 200);
                    ++compared;
                  })
            .ok());
  }
  EXPECT_EQ(compared, 33 + 3 + 4 + 13);
}

TEST(JsonReader, MesosDialectDetails) {
  v1::scheduler::Event event;
  ASSERT_TRUE(
      readMesosJson(
          R"({"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},"state":"TASK_RUNNING",)"
          R"("uuid":"AAEC/w==","timestamp":1.5,"unknown":[1,{"a":[]}],"healthy":null,)"
          R"("container_status":{"network_infos":[{"ip_addresses":[{"protocol":"IPv9","ip_address":"x"}]}]}}}})",
          &event)
          .ok());
  EXPECT_EQ(event.update().status().uuid(), std::string("\x00\x01\x02\xff", 4));
  EXPECT_FALSE(event.update().status().has_healthy());
  const auto& address = event.update().status().container_status().network_infos(0).ip_addresses(0);
  EXPECT_FALSE(address.has_protocol()) << "unknown enum values are dropped";
  EXPECT_EQ(address.ip_address(), "x");
  v1::Value::Range range;
  ASSERT_TRUE(readMesosJson(R"({"begin":"31000","end":32000.0})", &range).ok());
  EXPECT_EQ(range.begin(), 31000u);
  EXPECT_EQ(range.end(), 32000u);
}

TEST(JsonReader, RejectsWrongShapes) {
  v1::scheduler::Event event;
  EXPECT_FALSE(readMesosJson("{\"type\":", &event).ok());
  EXPECT_FALSE(readMesosJson("[]", &event).ok());
  EXPECT_FALSE(
      readMesosJson(
          R"({"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},"state":"TASK_RUNNING","uuid":"!!"}}})",
          &event)
          .ok());
  EXPECT_FALSE(readMesosJson(R"({"type":"OFFERS","offers":{"offers":{"id":1}}})", &event).ok())
      << "object for an array";
  v1::Value::Range range;
  EXPECT_FALSE(readMesosJson(R"({"begin":-1,"end":2})", &range).ok());
  auto missing = readMesosJson(R"({"begin":1})", &range);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("required"), std::string::npos);
}

}  // namespace
}  // namespace coral::mesos
