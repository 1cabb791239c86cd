// A minimal client for etcd's v3 JSON gateway (etcd 3.4 serves /v3/...):
// one HTTP/1.1 POST per call over Boost.Beast, keys and values base64 as the
// gateway requires. Internal to src/policy/ (the Calico store uses it).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"

namespace coral::policy::etcd {

std::string base64Encode(const std::string& bytes);
Result<std::string> base64Decode(const std::string& text);

struct KeyValue {
  std::string key;
  std::string value;
};

class Client {
 public:
  // `url` is "http://host:port" (no TLS).
  explicit Client(std::string url, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // POSTs `body` to `path` and returns the JSON answer of a 200 response.
  Result<nlohmann::json> call(const std::string& path, const nlohmann::json& body) const;

  // Every key starting with `prefix`, sorted by key.
  Result<std::vector<KeyValue>> rangePrefix(const std::string& prefix) const;

  // One transaction: all puts and deletes apply together or not at all.
  Status commit(const std::vector<KeyValue>& puts, const std::vector<std::string>& deletes) const;

 private:
  std::string url_;
  std::chrono::milliseconds timeout_;
};

}  // namespace coral::policy::etcd
