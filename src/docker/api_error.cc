#include "docker/api_error.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace coral::docker {

std::string dockerMessage(const HttpResponse& response) {
  auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    return body["message"].get<std::string>();
  }
  std::string_view text = response.body;
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos) {
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, std::min<size_t>(last - first + 1, 500)));
  }
  return "(the daemon sent no explanation)";
}

std::string genericFix(int status) {
  switch (status) {
    case 400:
      return "Docker rejected the request as malformed; this is a bug in Coral, please report it "
             "with this message";
    case 401:
    case 403:
      return "Docker refused the request; check the daemon's authorization plugins";
    case 404:
      return "check the name or id; the object may have been removed";
    case 409:
      return "the object is in a conflicting state; look at it with `docker inspect`";
    default:
      if (status >= 500) {
        return "see the Docker daemon's log for details (dockerd's stderr, or `journalctl -u "
               "docker`)";
      }
      return fmt::format(
          "Coral does not expect HTTP {} here; check the daemon's API version "
          "with `docker version` (Coral needs API v1.41)",
          status);
  }
}

Error apiError(std::string_view operation, const HttpResponse& response, std::string_view fix) {
  return makeError(fmt::format("{}: {} {} — {}", operation, response.status,
                               dockerMessage(response),
                               fix.empty() ? genericFix(response.status) : std::string(fix)));
}

}  // namespace coral::docker
