#include "mesos/sandbox_logs.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api/client.h"

namespace coral::mesos {
namespace {

constexpr std::int64_t kTailBytes = 256 << 10;  // enough for a few thousand lines
constexpr std::int64_t kAllBytes = 4 << 20;

// Query values: everything but unreserved characters and '/' percent-encoded.
std::string encodeQueryValue(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// One /files/read call: {"data": "...", "offset": N}.
Result<nlohmann::json> readChunk(api::Client& agent, const SandboxLocation& where,
                                 const std::string& path, std::int64_t offset,
                                 std::optional<std::int64_t> length) {
  std::string target = "/files/read?path=" + encodeQueryValue(path) +
                       "&offset=" + std::to_string(offset);
  if (length) target += "&length=" + std::to_string(*length);
  auto answer = agent.request("GET", target, "", std::chrono::seconds(15));
  const std::string who = fmt::format("the Mesos agent at {}:{}", where.agentHost, where.agentPort);
  if (!answer) return makeError(fmt::format("cannot read {} from {}: {}", path, who, answer.message()));
  if (answer->status == 401 || answer->status == 403) {
    return makeError(fmt::format(
        "{} refused to show {} (HTTP {}); the agents' read-only HTTP endpoints need the framework "
        "principal to be authorized (--authenticate_http_readonly)",
        who, path, answer->status));
  }
  if (answer->status == 404) {
    return makeError(fmt::format("{} has no {} (the sandbox was garbage-collected or the task never "
                                 "started)", who, path));
  }
  if (answer->status != 200) {
    return makeError(fmt::format("{} answered HTTP {} for {}: {}", who, answer->status, path,
                                 answer->body.substr(0, 200)));
  }
  auto body = nlohmann::json::parse(answer->body, nullptr, false);
  if (!body.is_object() || !body.contains("offset") || !body["offset"].is_number_integer()) {
    return makeError(fmt::format("{} answered /files/read with something else than "
                                 "{{\"data\", \"offset\"}}", who));
  }
  return body;
}

Result<std::vector<std::string>> tailOf(api::Client& agent, const SandboxLocation& where,
                                        const std::string& file, int tail) {
  const std::string path = where.virtualPath() + "/" + file;
  // offset -1 answers the file's size without data.
  auto size = readChunk(agent, where, path, -1, std::nullopt);
  if (!size) return size.error();
  const std::int64_t end = (*size)["offset"].get<std::int64_t>();
  const std::int64_t start = std::max<std::int64_t>(0, end - (tail < 0 ? kAllBytes : kTailBytes));
  std::string data;
  // The agent caps each answer (its default page is 16 pages): read on.
  for (std::int64_t offset = start; offset < end;) {
    auto chunk = readChunk(agent, where, path, offset, end - offset);
    if (!chunk) return chunk.error();
    const std::string piece = (*chunk).value("data", "");
    if (piece.empty()) break;
    data += piece;
    offset += static_cast<std::int64_t>(piece.size());
  }
  std::vector<std::string> lines;
  std::size_t begin = 0;
  if (start > 0) {  // the first line was cut by the byte window
    auto newline = data.find('\n');
    begin = newline == std::string::npos ? data.size() : newline + 1;
  }
  while (begin < data.size()) {
    auto newline = data.find('\n', begin);
    if (newline == std::string::npos) newline = data.size();
    lines.push_back(data.substr(begin, newline - begin));
    begin = newline + 1;
  }
  if (tail >= 0 && lines.size() > static_cast<std::size_t>(tail)) {
    lines.erase(lines.begin(), lines.end() - tail);
  }
  return lines;
}

}  // namespace

std::string SandboxLocation::virtualPath() const {
  return "/frameworks/" + frameworkId + "/executors/" + executorId + "/runs/latest";
}

Result<SandboxOutput> readSandboxTail(const SandboxLocation& where, int tail) {
  api::Client agent(api::Endpoint{.host = where.agentHost, .port = where.agentPort}, "");
  if (where.authorization) agent.setAuthorization(*where.authorization);
  SandboxOutput output;
  auto out = tailOf(agent, where, "stdout", tail);
  if (!out) return out.error();
  output.stdoutLines = std::move(*out);
  auto err = tailOf(agent, where, "stderr", tail);
  if (!err) return err.error();
  output.stderrLines = std::move(*err);
  return output;
}

}  // namespace coral::mesos
