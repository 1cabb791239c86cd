#include "docker/multiplexed_stream.h"

#include <gtest/gtest.h>

#include "fake_docker_server.h"

namespace coral::docker {
namespace {

using fake::frame;

struct Collected {
  std::string out, err, interleaved;
};

MultiplexedStreamDecoder::PayloadSink collectInto(Collected& collected) {
  return [&collected](StreamKind kind, std::string_view payload) {
    (kind == StreamKind::kStdout ? collected.out : collected.err).append(payload);
    collected.interleaved.append(payload);
  };
}

TEST(DockerMultiplexedStream, DecodesWholeFrames) {
  MultiplexedStreamDecoder decoder;
  Collected collected;
  auto status = decoder.feed(frame(1, "out\n") + frame(2, "err\n") + frame(1, "more\n"),
                             collectInto(collected));
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(collected.out, "out\nmore\n");
  EXPECT_EQ(collected.err, "err\n");
  EXPECT_EQ(collected.interleaved, "out\nerr\nmore\n");
  EXPECT_TRUE(decoder.atFrameBoundary());
}

TEST(DockerMultiplexedStream, DecodesFramesFedOneByteAtATime) {
  const std::string stream = frame(1, "hello ") + frame(2, "warning\n") + frame(1, "world\n");
  MultiplexedStreamDecoder decoder;
  Collected collected;
  for (char c : stream) {
    auto status = decoder.feed(std::string_view(&c, 1), collectInto(collected));
    ASSERT_TRUE(status.ok()) << status.message();
  }
  EXPECT_EQ(collected.out, "hello world\n");
  EXPECT_EQ(collected.err, "warning\n");
  EXPECT_TRUE(decoder.atFrameBoundary());
}

TEST(DockerMultiplexedStream, DecodesEverySplitPointOfTwoFrames) {
  const std::string stream = frame(1, "abc") + frame(2, "defg");
  for (size_t split = 0; split <= stream.size(); ++split) {
    MultiplexedStreamDecoder decoder;
    Collected collected;
    ASSERT_TRUE(decoder.feed(stream.substr(0, split), collectInto(collected)).ok());
    ASSERT_TRUE(decoder.feed(stream.substr(split), collectInto(collected)).ok());
    EXPECT_EQ(collected.out, "abc") << "split at " << split;
    EXPECT_EQ(collected.err, "defg") << "split at " << split;
  }
}

TEST(DockerMultiplexedStream, SkipsEmptyFramesAndReportsSystemErrors) {
  MultiplexedStreamDecoder decoder;
  std::string system_error;
  auto status = decoder.feed(frame(1, "") + frame(3, "oci failure"),
                             [&](StreamKind kind, std::string_view payload) {
                               EXPECT_EQ(kind, StreamKind::kSystemError);
                               system_error.append(payload);
                             });
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(system_error, "oci failure");
}

TEST(DockerMultiplexedStream, LargeFrameLengthUsesAllFourBytes) {
  const std::string payload(70000, 'x');  // > 65535: needs the third length byte
  MultiplexedStreamDecoder decoder;
  Collected collected;
  ASSERT_TRUE(decoder.feed(frame(1, payload), collectInto(collected)).ok());
  EXPECT_EQ(collected.out.size(), payload.size());
  EXPECT_TRUE(decoder.atFrameBoundary());
}

TEST(DockerMultiplexedStream, TruncatedFrameIsVisible) {
  MultiplexedStreamDecoder decoder;
  Collected collected;
  ASSERT_TRUE(decoder.feed(frame(1, "complete").substr(0, 11), collectInto(collected)).ok());
  EXPECT_FALSE(decoder.atFrameBoundary());
  EXPECT_EQ(collected.out, "com");
}

TEST(DockerMultiplexedStream, RejectsTextThatIsNotMultiplexed) {
  MultiplexedStreamDecoder decoder;
  Collected collected;
  auto status = decoder.feed("plain tty output\n", collectInto(collected));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("not multiplexed"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("TTY"), std::string::npos) << status.message();
  EXPECT_FALSE(decoder.feed(frame(1, "x"), collectInto(collected)).ok());
}

}  // namespace
}  // namespace coral::docker
