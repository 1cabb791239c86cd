#include "mesos/recordio.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace coral::mesos {
namespace {

std::vector<std::string> decodeAll(RecordIoDecoder& decoder,
                                   const std::vector<std::string_view>& pieces) {
  std::vector<std::string> records;
  for (auto piece : pieces) {
    auto status = decoder.feed(piece, [&](std::string_view r) { records.emplace_back(r); });
    EXPECT_TRUE(status.ok()) << status.message();
  }
  return records;
}

TEST(RecordIo, EncodesLengthNewlineData) {
  EXPECT_EQ(encodeRecord("{\"type\":\"HEARTBEAT\"}"), "20\n{\"type\":\"HEARTBEAT\"}");
}

TEST(RecordIo, DecodesRecordsSplitAnywhere) {
  const std::string stream =
      encodeRecord("hello") + encodeRecord("abc") + encodeRecord(std::string(1000, 'x'));
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    RecordIoDecoder decoder;
    auto records = decodeAll(
        decoder, {std::string_view(stream).substr(0, cut), std::string_view(stream).substr(cut)});
    ASSERT_EQ(records.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(records[0], "hello");
    EXPECT_EQ(records[1], "abc");
    EXPECT_EQ(records[2], std::string(1000, 'x'));
    EXPECT_FALSE(decoder.midRecord());
  }
}

TEST(RecordIo, RecordedProtobufStreamAtEveryBoundaryAndByteByByte) {
  CORAL_REQUIRE_FIXTURES();
  const std::string stream = testing::readFixture("protobuf/stream-subscribe.recordio");
  ASSERT_FALSE(stream.empty());
  RecordIoDecoder whole;
  const auto expected = decodeAll(whole, {stream});
  ASSERT_EQ(expected.size(), 5u);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    RecordIoDecoder decoder;
    EXPECT_EQ(decodeAll(decoder, {std::string_view(stream).substr(0, cut),
                                  std::string_view(stream).substr(cut)}),
              expected);
  }
  RecordIoDecoder bytewise;
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < stream.size(); ++i)
    bytes.push_back(std::string_view(stream).substr(i, 1));
  EXPECT_EQ(decodeAll(bytewise, bytes), expected);
}

TEST(RecordIo, HugeRecordWholeAndInPieces) {
  std::string payload(48u << 20, 'a');
  for (std::size_t i = 0; i < payload.size(); i += 4096)
    payload[i] = static_cast<char>('a' + (i / 4096) % 26);
  const std::string stream = encodeRecord(payload) + encodeRecord("tail");
  RecordIoDecoder decoder;
  std::vector<std::string_view> pieces;
  for (std::size_t i = 0; i < stream.size(); i += 1 << 20)
    pieces.push_back(std::string_view(stream).substr(i, 1 << 20));
  auto records = decodeAll(decoder, pieces);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(records[0] == payload);
  EXPECT_EQ(records[1], "tail");
  RecordIoDecoder once;
  std::size_t sizes = 0;
  ASSERT_TRUE(once.feed(stream, [&](std::string_view r) { sizes += r.size(); }).ok());
  EXPECT_EQ(sizes, payload.size() + 4);
}

TEST(RecordIo, PartialRecordIsNeverDelivered) {
  RecordIoDecoder decoder;
  int delivered = 0;
  ASSERT_TRUE(decoder.feed("5\nhel", [&](std::string_view) { ++delivered; }).ok());
  EXPECT_EQ(delivered, 0);
  EXPECT_TRUE(decoder.midRecord());
  decoder.reset();
  EXPECT_FALSE(decoder.midRecord());
  ASSERT_TRUE(decoder.feed("2", [&](std::string_view) { ++delivered; }).ok());
  EXPECT_TRUE(decoder.midRecord());  // inside the length line
}

TEST(RecordIo, RejectsMalformedHeaders) {
  auto fails = [](std::string_view input,
                  std::uint64_t limit = RecordIoDecoder::kDefaultMaxRecordBytes) {
    RecordIoDecoder decoder(limit);
    auto status = decoder.feed(input, [](std::string_view) {});
    return !status.ok() && decoder.failed();
  };
  EXPECT_TRUE(fails("x\nabc"));
  EXPECT_TRUE(fails("\nabc"));
  EXPECT_TRUE(fails("0\n"));
  EXPECT_TRUE(fails("12\r\nabcdefghijkl"));
  EXPECT_TRUE(fails("1000\n", 999));
  EXPECT_TRUE(fails("99999999999999999999999\n"));
  RecordIoDecoder decoder;
  ASSERT_FALSE(decoder.feed("x", [](std::string_view) {}).ok());
  EXPECT_FALSE(decoder.feed("1\na", [](std::string_view) {}).ok())
      << "a failed decoder stays failed";
}

}  // namespace
}  // namespace coral::mesos
