#include "docker/json_lines.h"

#include <gtest/gtest.h>

namespace coral::docker {
namespace {

using nlohmann::json;

TEST(DockerJsonLines, SplitsDocumentsAcrossArbitraryFeeds) {
  const std::string stream = "{\"status\":\"start\",\"id\":\"a\"}\n{\"status\":\"die\"}\r\n\n";
  for (size_t split = 0; split <= stream.size(); ++split) {
    JsonLineSplitter splitter;
    std::vector<json> documents;
    auto sink = [&](const json& doc) {
      documents.push_back(doc);
      return true;
    };
    ASSERT_TRUE(splitter.feed(stream.substr(0, split), sink).ok());
    ASSERT_TRUE(splitter.feed(stream.substr(split), sink).ok());
    ASSERT_TRUE(splitter.finish(sink).ok());
    ASSERT_EQ(documents.size(), 2u) << "split at " << split;
    EXPECT_EQ(documents[0]["id"], "a");
    EXPECT_EQ(documents[1]["status"], "die");
  }
}

TEST(DockerJsonLines, SinkReturningFalseStopsTheStream) {
  JsonLineSplitter splitter;
  int seen = 0;
  auto more = splitter.feed("{\"n\":1}\n{\"n\":2}\n", [&](const json&) {
    ++seen;
    return false;
  });
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
  EXPECT_EQ(seen, 1);
}

TEST(DockerJsonLines, FinishParsesALastLineWithoutNewline) {
  JsonLineSplitter splitter;
  std::vector<json> documents;
  auto sink = [&](const json& doc) {
    documents.push_back(doc);
    return true;
  };
  ASSERT_TRUE(splitter.feed("{\"error\":\"bad tar\"}", sink).ok());
  EXPECT_TRUE(documents.empty());
  ASSERT_TRUE(splitter.finish(sink).ok());
  ASSERT_EQ(documents.size(), 1u);
  EXPECT_EQ(documents[0]["error"], "bad tar");
}

TEST(DockerJsonLines, LineThatIsNotJsonIsAnError) {
  JsonLineSplitter splitter;
  auto more = splitter.feed("<html>proxy error</html>\n", [](const json&) { return true; });
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.message().find("<html>proxy error</html>"), std::string::npos);
  EXPECT_NE(more.message().find("v1.41"), std::string::npos);
}

}  // namespace
}  // namespace coral::docker
