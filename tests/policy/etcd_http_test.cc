#include "policy/etcd_http.h"

#include <gtest/gtest.h>

namespace coral::policy::etcd {
namespace {

TEST(EtcdBase64, RoundTripsAllLengths) {
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("foo"), "Zm9v");
  EXPECT_EQ(base64Encode("/calico/resources/v3"), "L2NhbGljby9yZXNvdXJjZXMvdjM=");
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (size_t n = 0; n < bytes.size(); n += 37) {
    auto decoded = base64Decode(base64Encode(bytes.substr(0, n)));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, bytes.substr(0, n));
  }
  EXPECT_FALSE(base64Decode("a*b").ok());
}

TEST(EtcdClient, RejectsNonHttpUrls) {
  Client client("https://127.0.0.1:2379");
  auto answer = client.call("/v3/kv/range", {});
  ASSERT_FALSE(answer.ok());
  EXPECT_NE(answer.message().find("TLS is not supported"), std::string::npos) << answer.message();
}

TEST(EtcdClient, ReportsUnreachableEtcd) {
  // Port 1 on loopback: nothing listens there, the connection is refused.
  Client client("http://127.0.0.1:1", std::chrono::milliseconds(2000));
  auto answer = client.call("/v3/kv/range", {});
  ASSERT_FALSE(answer.ok());
  EXPECT_NE(answer.message().find("cannot connect to etcd at http://127.0.0.1:1"),
            std::string::npos)
      << answer.message();
}

}  // namespace
}  // namespace coral::policy::etcd
