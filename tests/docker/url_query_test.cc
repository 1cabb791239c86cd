#include "docker/url_query.h"

#include <gtest/gtest.h>

namespace coral::docker {
namespace {

TEST(DockerUrlQuery, EncodesReservedCharactersInValues) {
  EXPECT_EQ(percentEncode("{\"label\":[\"a=b c\"]}"), "%7B%22label%22%3A%5B%22a%3Db%20c%22%5D%7D");
  EXPECT_EQ(percentEncode("coral-demo_worker.1~"), "coral-demo_worker.1~");
}

TEST(DockerUrlQuery, KeepsSlashesAndColonsInImageNamesWhenAsked) {
  EXPECT_EQ(percentEncode("coral/worker:latest", true), "coral/worker:latest");
  EXPECT_EQ(percentEncode("coral/worker:latest"), "coral%2Fworker%3Alatest");
  EXPECT_EQ(percentEncode("a b?c", true), "a%20b%3Fc");
}

TEST(DockerUrlQuery, BuildsQueryStrings) {
  EXPECT_EQ(QueryBuilder().str(), "");
  EXPECT_EQ(QueryBuilder().add("all", "1").add("name", "x&y").str(), "?all=1&name=x%26y");
}

}  // namespace
}  // namespace coral::docker
