// Builds request targets for the Docker API: percent-encodes path segments
// and query values (container names, JSON filters) so that user-chosen names
// cannot change the meaning of a request.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coral::docker {

// Encodes everything except RFC 3986 unreserved characters. With
// `keep_slashes`, '/' and ':' stay literal: Docker routes image names such as
// "coral/worker:latest" on the raw path.
std::string percentEncode(std::string_view text, bool keep_slashes = false);

class QueryBuilder {
 public:
  QueryBuilder& add(std::string_view key, std::string_view value);
  // "" when empty, else "?k=v&k2=v2".
  std::string str() const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace coral::docker
