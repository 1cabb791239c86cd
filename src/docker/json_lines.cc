#include "docker/json_lines.h"

#include <fmt/format.h>

namespace coral::docker {
namespace {

std::string_view trimWhitespace(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

Result<bool> JsonLineSplitter::feed(std::string_view bytes, const DocumentSink& sink) {
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      pending_.append(bytes);
      return true;
    }
    pending_.append(bytes.substr(0, newline));
    bytes.remove_prefix(newline + 1);
    std::string line = std::move(pending_);
    pending_.clear();
    auto more = emit(line, sink);
    if (!more.ok() || !*more) return more;
  }
  return true;
}

Result<bool> JsonLineSplitter::finish(const DocumentSink& sink) {
  std::string line = std::move(pending_);
  pending_.clear();
  return emit(line, sink);
}

Result<bool> JsonLineSplitter::emit(std::string_view line, const DocumentSink& sink) {
  line = trimWhitespace(line);
  if (line.empty()) return true;
  auto document = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return makeError(fmt::format(
        "the Docker daemon sent a stream line that is not JSON: '{}'; Coral expects API v1.41 "
        "(Docker 20.10 or later) — check the daemon version with `docker version`",
        line.substr(0, 200)));
  }
  return sink(document);
}

}  // namespace coral::docker
