// Replays the traffic recorded from a real Mesos 1.12 master.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "mesos/calls.h"
#include "mesos/codec.h"
#include "mesos/recordio.h"
#include "mesos/task_info.h"
#include "strict_decode.h"

namespace coral::mesos {
namespace {

namespace http = boost::beast::http;
using testing::readFixture;
using v1::scheduler::Event;

struct Stream {
  std::string prefix;
  ContentType type;
  std::size_t events;
  std::vector<std::string> types;
};

std::vector<Stream> recordedStreams() {
  std::vector<Stream> out;
  const auto index = nlohmann::json::parse(readFixture("streams-index.json"));
  for (const auto& [key, value] : index.items()) {
    if (value["events"].get<std::size_t>() == 0) continue;  // the plain 400
    Stream s{key,
             key.starts_with("protobuf/") ? ContentType::kProtobuf : ContentType::kJson,
             value["events"].get<std::size_t>(),
             {}};
    for (const auto& entry : value["index"]) s.types.push_back(entry["type"].get<std::string>());
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Event> decodeRecords(const std::vector<std::string>& records, ContentType type) {
  std::vector<Event> events;
  for (const auto& record : records) {
    Event event;
    auto status = decodeEvent(record, type, &event);
    EXPECT_TRUE(status.ok()) << status.message();
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<std::string> recordsOf(std::string_view body) {
  std::vector<std::string> records;
  RecordIoDecoder decoder;
  auto status = decoder.feed(body, [&](std::string_view r) { records.emplace_back(r); });
  EXPECT_TRUE(status.ok()) << status.message();
  EXPECT_FALSE(decoder.midRecord());
  return records;
}

// Raw socket bytes -> HTTP de-chunking (Beast) -> RecordIO, fed `piece`
// bytes at a time so neither layer can rely on chunk or record boundaries.
std::vector<std::string> recordsFromWire(const std::string& wire, std::size_t piece,
                                         std::string* streamId) {
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  RecordIoDecoder decoder;
  std::vector<std::string> records;
  std::string pending;
  char out[777];
  for (std::size_t pos = 0; pos < wire.size(); pos += piece) {
    pending.append(wire, pos, piece);
    while (!pending.empty() && !parser.is_done()) {
      // buffer_body advances `data` as it fills; what was written is
      // `sizeof out - size`.
      const bool armed = parser.is_header_done();
      if (armed) {
        parser.get().body().data = out;
        parser.get().body().size = sizeof out;
      }
      boost::beast::error_code ec;
      const std::size_t used = parser.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (armed) {
        const std::size_t got = sizeof out - parser.get().body().size;
        auto status = decoder.feed(std::string_view(out, got),
                                   [&](std::string_view r) { records.emplace_back(r); });
        EXPECT_TRUE(status.ok()) << status.message();
      }
      if (ec == http::error::need_more) break;
      if (ec == http::error::need_buffer) continue;
      EXPECT_FALSE(ec) << ec.message() << " after " << records.size() << " records";
      if (ec) return records;
      if (used == 0) break;
    }
  }
  EXPECT_TRUE(parser.is_header_done());
  if (parser.is_header_done()) *streamId = std::string(parser.get()["Mesos-Stream-Id"]);
  return records;
}

TEST(FixtureReplay, EveryRecordedStreamDecodesWithTheIndexedEventTypes) {
  CORAL_REQUIRE_FIXTURES();
  const auto streams = recordedStreams();
  ASSERT_EQ(streams.size(), 5u);
  for (const auto& stream : streams) {
    SCOPED_TRACE(stream.prefix);
    const auto events =
        decodeRecords(recordsOf(readFixture(stream.prefix + ".recordio")), stream.type);
    ASSERT_EQ(events.size(), stream.events);
    for (std::size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(Event::Type_Name(events[i].type()), stream.types[i]) << "event " << i;
    }
    EXPECT_EQ(events.front().type(), Event::SUBSCRIBED);
    EXPECT_FALSE(events.front().subscribed().framework_id().value().empty());
    EXPECT_DOUBLE_EQ(events.front().subscribed().heartbeat_interval_seconds(), 15.0);
  }
}

TEST(FixtureReplay, WireBytesDechunkedInAnyPieceSize) {
  CORAL_REQUIRE_FIXTURES();
  for (const auto& stream : recordedStreams()) {
    SCOPED_TRACE(stream.prefix);
    const std::string wire = readFixture(stream.prefix + ".wire");
    const auto expected = recordsOf(readFixture(stream.prefix + ".recordio"));
    for (std::size_t piece :
         {std::size_t{1}, std::size_t{3}, std::size_t{64}, std::size_t{1000}, wire.size()}) {
      std::string streamId;
      const auto got = recordsFromWire(wire, piece, &streamId);
      EXPECT_TRUE(got == expected)
          << "piece " << piece << ": " << got.size() << " records instead of " << expected.size();
      EXPECT_EQ(streamId.size(), 36u);
    }
  }
}

TEST(FixtureReplay, EventsSurviveOurReEncoding) {
  CORAL_REQUIRE_FIXTURES();
  for (const auto& stream : recordedStreams()) {
    for (const auto& event :
         decodeRecords(recordsOf(readFixture(stream.prefix + ".recordio")), stream.type)) {
      for (const auto type : {ContentType::kJson, ContentType::kProtobuf}) {
        auto encoded = encodeMessage(event, type);
        ASSERT_TRUE(encoded.ok()) << encoded.message();
        Event back;
        ASSERT_TRUE(decodeEvent(*encoded, type, &back).ok());
        // JSON cannot carry fields this schema does not know (1.12's
        // MasterInfo.capabilities): protobuf keeps them as unknown fields.
        Event expected = event;
        if (type == ContentType::kJson) expected.DiscardUnknownFields();
        google::protobuf::util::MessageDifferencer differencer;
        std::string diff;
        differencer.ReportDifferencesToString(&diff);
        EXPECT_TRUE(differencer.Compare(expected, back))
            << contentTypeName(type) << ": " << diff.substr(0, 600);
      }
    }
  }
}

TEST(FixtureReplay, ContainerIpsOfBothContainerizers) {
  CORAL_REQUIRE_FIXTURES();
  const auto updates = nlohmann::json::parse(readFixture("json/launch-updates.json"));
  std::map<std::string, std::vector<std::string>> ipsByTaskState;
  for (const auto& update : updates) {
    Event event;
    ASSERT_TRUE(decodeEvent(update.dump(), ContentType::kJson, &event).ok());
    const auto& status = event.update().status();
    ipsByTaskState[status.task_id().value() + "/" + v1::TaskState_Name(status.state())] =
        containerIps(status, "calico");
    EXPECT_TRUE(status.has_uuid()) << "executor updates carry a uuid";
    EXPECT_TRUE(calls::acknowledge(status).has_value());
  }
  // Docker's TASK_STARTING names no network and holds the agent IP: not the container's.
  EXPECT_TRUE(ipsByTaskState["fixture-docker-httpd/TASK_STARTING"].empty());
  EXPECT_EQ(ipsByTaskState["fixture-docker-httpd/TASK_RUNNING"],
            std::vector<std::string>{"10.238.0.2"});
  EXPECT_EQ(ipsByTaskState["fixture-mesos-httpd/TASK_STARTING"],
            std::vector<std::string>{"10.237.0.2"});
  EXPECT_EQ(ipsByTaskState["fixture-mesos-httpd/TASK_RUNNING"],
            std::vector<std::string>{"10.237.0.2"});
}

TEST(FixtureReplay, ReconciliationAndMasterUpdatesCarryNoUuid) {
  CORAL_REQUIRE_FIXTURES();
  const auto events =
      decodeRecords(recordsOf(readFixture("json/stream1-subscribe.recordio")), ContentType::kJson);
  int masterUpdates = 0;
  for (const auto& event : events) {
    if (event.type() != Event::UPDATE) continue;
    const auto& status = event.update().status();
    if (status.source() == v1::TaskStatus::SOURCE_MASTER) {
      ++masterUpdates;
      EXPECT_FALSE(status.has_uuid());
      EXPECT_FALSE(calls::acknowledge(status).has_value())
          << "must not ACK " << status.ShortDebugString();
    }
  }
  EXPECT_GT(masterUpdates, 5);
  EXPECT_EQ(events.back().type(), Event::ERROR);
  EXPECT_EQ(events.back().error().message(), "Framework failed over");
}

// The recorded calls the real master accepted parse with our schema; those
// it only accepted by silently dropping keys fail the strict test master.
TEST(FixtureReplay, RecordedCallsAgainstTheStrictDecoder) {
  CORAL_REQUIRE_FIXTURES();
  const std::vector<std::string> lenientOnly = {
      "calls/03-reconcile-unknown-json-fields.req", "calls/04-reconcile-camelcase-frameworkId.req",
      "calls/05-reconcile-lowercase-type-enum.req", "calls/13-unknown-call-type.req",
      "calls/37-revive-docs-example-role-singular.req"};
  const std::vector<std::string> accepted = {"calls/16-accept-launch-docker-and-mesos-tasks.req",
                                             "calls/17-ack-fixture-docker-httpd-TASK_STARTING.req",
                                             "calls/24-reconcile-explicit.req",
                                             "calls/25-reconcile-implicit.req",
                                             "calls/31-decline-refuse-seconds-20.req",
                                             "calls/38-revive-with-roles.req",
                                             "calls/40-kill-fixture-docker-httpd.req",
                                             "calls/47-teardown.req"};
  for (const auto& file : accepted) {
    v1::scheduler::Call call;
    auto status =
        testing::strictDecode(testing::httpBody(readFixture(file)), ContentType::kJson, &call);
    EXPECT_TRUE(status.ok()) << file << ": " << status.message();
  }
  for (const auto& file : lenientOnly) {
    v1::scheduler::Call call;
    EXPECT_FALSE(
        testing::strictDecode(testing::httpBody(readFixture(file)), ContentType::kJson, &call).ok())
        << file;
  }
  for (const auto& file : {"protobuf/calls/62-pb-reconcile-implicit.req",
                           "protobuf/calls/63-pb-reconcile-explicit-unknown-task.req",
                           "protobuf/calls/66-pb-teardown.req"}) {
    v1::scheduler::Call call;
    auto status =
        testing::strictDecode(testing::httpBody(readFixture(file)), ContentType::kProtobuf, &call);
    EXPECT_TRUE(status.ok()) << file << ": " << status.message();
  }
  v1::scheduler::Call garbage;
  EXPECT_FALSE(
      testing::strictDecode(testing::httpBody(readFixture("protobuf/calls/64-pb-garbage-body.req")),
                            ContentType::kProtobuf, &garbage)
          .ok());
}

// Our builders produce what the recorded client sent for the same calls.
TEST(FixtureReplay, BuildersMatchRecordedCalls) {
  CORAL_REQUIRE_FIXTURES();
  auto recorded = [](const std::string& file) {
    v1::scheduler::Call call;
    EXPECT_TRUE(
        decodeMessage(testing::httpBody(readFixture(file)), ContentType::kJson, &call).ok());
    call.clear_framework_id();
    return call;
  };
  using google::protobuf::util::MessageDifferencer;
  EXPECT_TRUE(MessageDifferencer::Equals(calls::reconcileAll(),
                                         recorded("calls/25-reconcile-implicit.req")));
  EXPECT_TRUE(MessageDifferencer::Equals(calls::teardown(), recorded("calls/47-teardown.req")));
  EXPECT_TRUE(
      MessageDifferencer::Equals(calls::revive({"*"}), recorded("calls/38-revive-with-roles.req")));
}

}  // namespace
}  // namespace coral::mesos
