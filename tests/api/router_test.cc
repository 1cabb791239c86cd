#include "api/router.h"

#include <gtest/gtest.h>

#include "api/server.h"

namespace coral::api {
namespace {

Handler tagged(std::string* out, std::string tag) {
  return [out, tag](const Request&, Responder) { *out = tag; };
}

TEST(api_router, CapturesDecodedParams) {
  Router router;
  std::string hit;
  router.add("POST", "/v1/nodes/{name}/restart", tagged(&hit, "restart"));
  auto m = router.match("POST", "/v1/nodes/worker%2D1%2Fx/restart");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.pattern, "/v1/nodes/{name}/restart");
  EXPECT_EQ(m.params.at("name"), "worker-1/x");  // %2F does not split segments
}

TEST(api_router, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  Router router;
  std::string hit;
  router.add("GET", "/v1/nodes", tagged(&hit, "list"));
  router.add("POST", "/v1/nodes", tagged(&hit, "scale"));
  EXPECT_EQ(router.match("GET", "/v1/nope").status, 404);
  EXPECT_EQ(router.match("GET", "/v1/nodes/x/y").status, 404);
  auto m = router.match("PUT", "/v1/nodes");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "GET, POST");
  EXPECT_EQ(m.pattern, "/v1/nodes");
}

TEST(api_router, LiteralBeatsParamAndMethodsCombineAcrossPatterns) {
  Router router;
  std::string hit;
  router.add("GET", "/v1/nodes/{name}", tagged(&hit, "param"));
  router.add("GET", "/v1/nodes/stats", tagged(&hit, "literal"));
  router.add("DELETE", "/v1/nodes/{name}", tagged(&hit, "delete"));
  auto m = router.match("GET", "/v1/nodes/stats");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.pattern, "/v1/nodes/stats");
  EXPECT_TRUE(m.params.empty());
  m = router.match("GET", "/v1/nodes/w1");
  EXPECT_EQ(m.pattern, "/v1/nodes/{name}");
  // No literal DELETE route: the {name} route takes it.
  m = router.match("DELETE", "/v1/nodes/stats");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.params.at("name"), "stats");
}

TEST(api_router, TrailingSlashAndEmptySegments) {
  Router router;
  std::string hit;
  router.add("GET", "/v1/nodes/{name}", tagged(&hit, "node"));
  router.add("GET", "/", tagged(&hit, "root"));
  EXPECT_EQ(router.match("GET", "/v1/nodes/w1/").status, 200);
  EXPECT_EQ(router.match("GET", "/v1/nodes//").status, 404);
  EXPECT_EQ(router.match("GET", "/").pattern, "/");
}

TEST(api_router, BadPatternsAreIgnoredAndDuplicatesReplace) {
  Router router;
  std::string hit;
  router.add("GET", "no-slash", tagged(&hit, "x"));
  router.add("GET", "/v1/{a}/{a}", tagged(&hit, "x"));
  EXPECT_EQ(router.match("GET", "/v1/b/c").status, 404);
  router.add("GET", "/v1/x", tagged(&hit, "first"));
  router.add("GET", "/v1/x", tagged(&hit, "second"));
  auto m = router.match("GET", "/v1/x");
  ASSERT_EQ(m.status, 200);
  (*m.handler)(Request{}, Responder(nullptr));
  EXPECT_EQ(hit, "second");
}

TEST(api_http, QueryParsingAndJsonHelpers) {
  auto q = parseQuery("tail=10&name=a%20b+c&flag&x=1&x=2");
  EXPECT_EQ(q.at("tail"), "10");
  EXPECT_EQ(q.at("name"), "a b c");
  EXPECT_EQ(q.at("flag"), "");
  EXPECT_EQ(q.at("x"), "2");
  EXPECT_EQ(percentDecode("100%", false), "100%");
  EXPECT_EQ(percentDecode("a+b%zz", false), "a+b%zz");

  auto e = jsonError(404, "not_found", "no such node");
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(e.body),
            (nlohmann::json{{"error", {{"code", "not_found"}, {"message", "no such node"}}}}));
  EXPECT_EQ(errorMessage(e), "no such node");
  EXPECT_EQ(errorMessage(Response{502, "text/plain", "bad gateway\n", {}}), "HTTP 502: bad gateway");
  EXPECT_EQ(errorMessage(Response{}), "");

  Request r;
  r.body = "{\"workers\": 3}";
  auto ok = parseJsonBody(r);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["workers"], 3);
  r.body = "{bad";
  auto bad = parseJsonBody(r);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message().rfind("request body is not valid JSON: parse error", 0), 0u)
      << bad.message();
  r.body = "";
  EXPECT_FALSE(parseJsonBody(r).ok());
}

}  // namespace
}  // namespace coral::api
