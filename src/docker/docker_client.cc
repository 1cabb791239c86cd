#include "docker/docker_client.h"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "docker/api_error.h"
#include "docker/api_json.h"
#include "docker/json_lines.h"
#include "docker/multiplexed_stream.h"
#include "docker/url_query.h"

namespace coral::docker {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kApiPrefix = "/v1.41";
constexpr std::string_view kNoSuchContainerFix =
    "it was never created or has been removed; list containers with `docker ps -a`";

std::string apiPath(std::string_view path) { return fmt::format("{}{}", kApiPrefix, path); }

std::string containerPath(const std::string& id, std::string_view suffix = {}) {
  return fmt::format("{}/containers/{}{}", kApiPrefix, percentEncode(id), suffix);
}

// Full 64-hex ids are unreadable in messages; Docker's CLI shows 12 characters too.
std::string displayId(const std::string& id) {
  if (id.size() == 64 && id.find_first_not_of("0123456789abcdef") == std::string::npos) {
    return id.substr(0, 12);
  }
  return id;
}

std::string quoteArgv(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& arg : argv) {
    if (!line.empty()) line += ' ';
    line += arg;
  }
  return "`" + line + "`";
}

HttpRequest makeRequest(std::string method, std::string target) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  return request;
}

HttpRequest jsonRequest(std::string method, std::string target, const json& body) {
  HttpRequest request = makeRequest(std::move(method), std::move(target));
  request.body = body.dump();
  request.content_type = "application/json";
  return request;
}

Result<json> parseJsonBody(const std::string& operation, const HttpResponse& response) {
  auto body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return makeError(fmt::format(
        "{}: the Docker daemon answered {} with a body that is not JSON ('{}'); Coral expects API "
        "v1.41 (Docker 20.10 or later) — check the daemon with `docker version`",
        operation, response.status, response.body.substr(0, 200)));
  }
  return body;
}

template <typename T>
Result<T> withOperation(const std::string& operation, Result<T> result) {
  if (result.ok()) return result;
  return makeError(fmt::format("{}: {}", operation, result.message()));
}

}  // namespace

DockerClient::DockerClient(std::string socket_path) : transport_(std::move(socket_path)) {}

Result<HttpResponse> DockerClient::send(const std::string& operation, const HttpRequest& request) {
  return withOperation(operation, transport_.roundTrip(request));
}

Status DockerClient::ping() {
  const std::string operation = "pinging the Docker daemon";
  HttpRequest request = makeRequest("GET", apiPath("/_ping"));
  request.timeout = std::chrono::seconds(10);
  auto response = send(operation, request);
  if (!response.ok()) return response.error();
  if (response->status != 200) return apiError(operation, *response);
  return okStatus();
}

Result<std::string> DockerClient::createContainer(const ContainerSpec& spec) {
  const std::string operation =
      fmt::format("creating container {}", spec.name.empty() ? "(unnamed)" : spec.name);
  if (spec.image.empty()) {
    return makeError(fmt::format("{}: no image given — set ContainerSpec::image", operation));
  }
  QueryBuilder query;
  if (!spec.name.empty()) query.add("name", spec.name);
  auto response = send(operation, jsonRequest("POST", apiPath("/containers/create") + query.str(),
                                              containerCreateBody(spec)));
  if (!response.ok()) return response.error();
  switch (response->status) {
    case 201: {
      auto body = parseJsonBody(operation, *response);
      if (!body.ok()) return body.error();
      if (!body->contains("Id") || !(*body)["Id"].is_string()) {
        return makeError(fmt::format(
            "{}: the Docker daemon's reply has no container \"Id\" ({}); Coral expects API v1.41 "
            "— check the daemon with `docker version`",
            operation, response->body.substr(0, 200)));
      }
      return (*body)["Id"].get<std::string>();
    }
    case 400:
      return apiError(operation, *response,
                      "fix the container spec (image name, mounts, MAC address, capabilities); "
                      "Docker's message names the bad field");
    case 404:
      return apiError(operation, *response,
                      "build the images with `make images` (Docker never pulls on create)");
    case 409:
      return apiError(operation, *response,
                      fmt::format("remove the old container first (`docker rm -f {}`) or choose "
                                  "another name",
                                  spec.name));
    default:
      return apiError(operation, *response);
  }
}

Status DockerClient::startContainer(const std::string& id) {
  const std::string operation = fmt::format("starting container {}", displayId(id));
  auto response = send(operation, makeRequest("POST", containerPath(id, "/start")));
  if (!response.ok()) return response.error();
  switch (response->status) {
    case 204:
    case 304:  // already running: the goal is reached
      return okStatus();
    case 404:
      return apiError(operation, *response, kNoSuchContainerFix);
    case 500:
      return apiError(operation, *response,
                      "Docker could not start the container's process; check the image's "
                      "entrypoint and command, and that every bind-mount source exists");
    default:
      return apiError(operation, *response);
  }
}

Result<std::optional<ContainerInfo>> DockerClient::findContainer(const std::string& id_or_name) {
  const std::string operation = fmt::format("inspecting container {}", displayId(id_or_name));
  auto response = send(operation, makeRequest("GET", containerPath(id_or_name, "/json")));
  if (!response.ok()) return response.error();
  if (response->status == 404) return std::optional<ContainerInfo>();
  if (response->status != 200) return apiError(operation, *response);
  auto body = parseJsonBody(operation, *response);
  if (!body.ok()) return body.error();
  auto info = withOperation(operation, parseContainerInspect(*body));
  if (!info.ok()) return info.error();
  return std::optional<ContainerInfo>(std::move(info).value());
}

Result<ContainerInfo> DockerClient::inspectContainer(const std::string& id_or_name) {
  auto found = findContainer(id_or_name);
  if (!found.ok()) return found.error();
  if (!found->has_value()) {
    return makeError(fmt::format("inspecting container {}: no such container — {}",
                                 displayId(id_or_name), kNoSuchContainerFix));
  }
  return std::move(**found);
}

Status DockerClient::stopContainer(const std::string& id, int timeout_seconds) {
  const std::string operation = fmt::format("stopping container {}", displayId(id));
  HttpRequest request =
      makeRequest("POST", containerPath(id, "/stop") +
                              QueryBuilder().add("t", std::to_string(timeout_seconds)).str());
  // Docker answers only after the grace period and the SIGKILL that follows.
  request.timeout = std::chrono::seconds(std::max(timeout_seconds, 0) + 60);
  auto response = send(operation, request);
  if (!response.ok()) return response.error();
  switch (response->status) {
    case 204:
    case 304:  // already stopped
      return okStatus();
    case 404:
      return apiError(operation, *response, kNoSuchContainerFix);
    default:
      return apiError(operation, *response);
  }
}

Result<int> DockerClient::waitContainer(const std::string& id, std::chrono::milliseconds timeout) {
  const std::string operation = fmt::format("waiting for container {} to stop", displayId(id));
  HttpRequest request = makeRequest(
      "POST", containerPath(id, "/wait") + QueryBuilder().add("condition", "not-running").str());
  request.timeout = timeout;
  auto response = send(operation, request);
  if (!response.ok()) return response.error();
  if (response->status == 404) return apiError(operation, *response, kNoSuchContainerFix);
  if (response->status != 200) return apiError(operation, *response);
  auto body = parseJsonBody(operation, *response);
  if (!body.ok()) return body.error();
  const json& error = (*body)["Error"];
  if (error.is_object() && !error.value("Message", "").empty()) {
    return makeError(fmt::format("{}: {} — see the Docker daemon's log for details", operation,
                                 error.value("Message", "")));
  }
  if (!(*body)["StatusCode"].is_number()) {
    return makeError(
        fmt::format("{}: the Docker daemon's reply has no \"StatusCode\" ({}); Coral "
                    "expects API v1.41 — check the daemon with `docker version`",
                    operation, response->body.substr(0, 200)));
  }
  return (*body)["StatusCode"].get<int>();
}

Status DockerClient::killContainer(const std::string& id, const std::string& signal) {
  const std::string operation = fmt::format("sending {} to container {}", signal, displayId(id));
  auto response = send(
      operation,
      makeRequest("POST", containerPath(id, "/kill") + QueryBuilder().add("signal", signal).str()));
  if (!response.ok()) return response.error();
  switch (response->status) {
    case 204:
      return okStatus();
    case 404:
      return apiError(operation, *response, kNoSuchContainerFix);
    case 409:
      return apiError(operation, *response,
                      "the container is not running, so there is nothing to signal; check its "
                      "state with inspectContainer first");
    default:
      return apiError(operation, *response);
  }
}

Status DockerClient::removeContainer(const std::string& id, bool force) {
  const std::string operation = fmt::format("removing container {}", displayId(id));
  auto response =
      send(operation,
           makeRequest("DELETE",
                       containerPath(id) +
                           QueryBuilder().add("v", "1").add("force", force ? "1" : "0").str()));
  if (!response.ok()) return response.error();
  switch (response->status) {
    case 204:
    case 404:  // already gone: removal is idempotent
      return okStatus();
    case 409:
      return apiError(operation, *response,
                      "stop the container first, or remove it with force (`docker rm -f`)");
    default:
      return apiError(operation, *response);
  }
}

Result<std::vector<ContainerInfo>> DockerClient::listContainers(
    const std::map<std::string, std::string>& label_filter, bool include_stopped) {
  const std::string operation = "listing containers";
  QueryBuilder query;
  query.add("all", include_stopped ? "1" : "0");
  if (!label_filter.empty()) query.add("filters", labelFilter(label_filter).dump());
  auto response = send(operation, makeRequest("GET", apiPath("/containers/json") + query.str()));
  if (!response.ok()) return response.error();
  if (response->status != 200) return apiError(operation, *response);
  auto body = parseJsonBody(operation, *response);
  if (!body.ok()) return body.error();
  return withOperation(operation, parseContainerList(*body));
}

Result<ExecResult> DockerClient::exec(const std::string& id, const std::vector<std::string>& argv,
                                      std::chrono::milliseconds timeout) {
  const std::string operation =
      fmt::format("running {} in container {}", quoteArgv(argv), displayId(id));
  if (argv.empty()) return makeError(fmt::format("{}: empty command — pass argv[0]", operation));
  const auto deadline = Clock::now() + timeout;
  const auto remaining = [&] {
    return std::max(std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()),
                    std::chrono::milliseconds(1));
  };
  const auto timedOut = [&] {
    return makeError(fmt::format(
        "{}: did not finish within {} ms; Docker cannot stop an exec, so the command may still be "
        "running inside the container — raise the timeout or make the command finish sooner",
        operation, timeout.count()));
  };

  HttpRequest create = jsonRequest("POST", containerPath(id, "/exec"),
                                   {{"AttachStdin", false},
                                    {"AttachStdout", true},
                                    {"AttachStderr", true},
                                    {"Tty", false},
                                    {"Cmd", argv}});
  create.timeout = remaining();
  auto created = send(operation, create);
  if (!created.ok()) return Clock::now() >= deadline ? timedOut() : created.error();
  if (created->status == 404) return apiError(operation, *created, kNoSuchContainerFix);
  if (created->status == 409) {
    return apiError(operation, *created,
                    "exec needs a running, unpaused container; start it first");
  }
  if (created->status != 201) return apiError(operation, *created);
  auto created_body = parseJsonBody(operation, *created);
  if (!created_body.ok()) return created_body.error();
  const std::string exec_id = created_body->value("Id", "");
  if (exec_id.empty()) {
    return makeError(
        fmt::format("{}: the Docker daemon's exec create reply has no \"Id\"; Coral "
                    "expects API v1.41 — check the daemon with `docker version`",
                    operation));
  }

  ExecResult result;
  MultiplexedStreamDecoder decoder;
  Status framing = okStatus();
  auto collect = [&](StreamKind kind, std::string_view payload) {
    (kind == StreamKind::kStdout ? result.out : result.err).append(payload);
  };
  HttpRequest start = jsonRequest("POST", fmt::format("{}/exec/{}/start", kApiPrefix, exec_id),
                                  {{"Detach", false}, {"Tty", false}});
  start.timeout = remaining();
  auto started = withOperation(operation, transport_.stream(start, [&](std::string_view bytes) {
    framing = decoder.feed(bytes, collect);
    return framing.ok();
  }));
  if (!started.ok()) return Clock::now() >= deadline ? timedOut() : started.error();
  if (!framing.ok()) return makeError(fmt::format("{}: {}", operation, framing.message()));
  if (started->status / 100 != 2) return apiError(operation, *started);
  if (!decoder.atFrameBoundary()) {
    return makeError(fmt::format(
        "{}: the Docker daemon cut the command's output off in the middle of a frame; check that "
        "dockerd is still running (`make up` restarts it)",
        operation));
  }

  // The output stream can close a moment before Docker records the exit
  // code, and there is no "wait for exec" call: poll the exec until it has.
  auto pause = std::chrono::milliseconds(5);
  while (true) {
    HttpRequest inspect = makeRequest("GET", fmt::format("{}/exec/{}/json", kApiPrefix, exec_id));
    inspect.timeout = remaining();
    auto inspected = send(operation, inspect);
    if (!inspected.ok()) return Clock::now() >= deadline ? timedOut() : inspected.error();
    if (inspected->status != 200) return apiError(operation, *inspected);
    auto body = parseJsonBody(operation, *inspected);
    if (!body.ok()) return body.error();
    const auto& exit_code = (*body)["ExitCode"];
    if (!body->value("Running", false) && exit_code.is_number()) {
      result.exit_code = exit_code.get<int>();
      return result;
    }
    if (Clock::now() + pause >= deadline) return timedOut();
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
}

Result<std::string> DockerClient::logs(const std::string& id, int tail) {
  const std::string operation = fmt::format("reading the logs of container {}", displayId(id));
  // A TTY container's log is raw text, not multiplexed frames; only the
  // container's config says which.
  auto inspected = send(operation, makeRequest("GET", containerPath(id, "/json")));
  if (!inspected.ok()) return inspected.error();
  if (inspected->status == 404) return apiError(operation, *inspected, kNoSuchContainerFix);
  if (inspected->status != 200) return apiError(operation, *inspected);
  auto inspect_body = parseJsonBody(operation, *inspected);
  if (!inspect_body.ok()) return inspect_body.error();
  const json& config = (*inspect_body)["Config"];
  const bool tty = config.is_object() && config.value("Tty", false);

  QueryBuilder query;
  query.add("stdout", "1").add("stderr", "1").add("tail", tail < 0 ? "all" : std::to_string(tail));
  auto response = send(operation, makeRequest("GET", containerPath(id, "/logs") + query.str()));
  if (!response.ok()) return response.error();
  if (response->status == 404) return apiError(operation, *response, kNoSuchContainerFix);
  if (response->status != 200) return apiError(operation, *response);
  if (tty) return std::move(response->body);

  std::string text;
  MultiplexedStreamDecoder decoder;
  auto decoded = decoder.feed(response->body,
                              [&](StreamKind, std::string_view payload) { text.append(payload); });
  if (!decoded.ok()) return makeError(fmt::format("{}: {}", operation, decoded.message()));
  return text;
}

Result<std::optional<ImageInfo>> DockerClient::inspectImage(const std::string& name) {
  const std::string operation = fmt::format("inspecting image {}", name);
  auto response =
      send(operation, makeRequest("GET", fmt::format("{}/images/{}/json", kApiPrefix,
                                                     percentEncode(name, /*keep_slashes=*/true))));
  if (!response.ok()) return response.error();
  if (response->status == 404) return std::optional<ImageInfo>();
  if (response->status != 200) return apiError(operation, *response);
  auto body = parseJsonBody(operation, *response);
  if (!body.ok()) return body.error();
  auto info = withOperation(operation, parseImageInspect(*body));
  if (!info.ok()) return info.error();
  return std::optional<ImageInfo>(std::move(info).value());
}

Status DockerClient::importImage(const std::string& tar_path, const std::string& repo,
                                 const std::string& tag) {
  const std::string operation = fmt::format("importing image {}:{} from {}", repo, tag, tar_path);
  std::error_code fs_error;
  if (!std::filesystem::is_regular_file(tar_path, fs_error)) {
    return makeError(fmt::format(
        "{}: the file does not exist or is not a regular file — build the tarball first (a tar "
        "of the image's root filesystem)",
        operation));
  }
  HttpRequest request = makeRequest(
      "POST", apiPath("/images/create") +
                  QueryBuilder().add("fromSrc", "-").add("repo", repo).add("tag", tag).str());
  request.body_file = tar_path;
  request.content_type = "application/x-tar";
  request.timeout = std::chrono::minutes(10);  // large root filesystems take a while to unpack

  // A 200 reply can still carry a failure: Docker reports it as an
  // {"error": ...} object in the progress stream.
  std::string stream_error;
  JsonLineSplitter splitter;
  auto on_progress = [&](const json& message) {
    if (message.is_object() && message.contains("error")) {
      stream_error = message["error"].is_string() ? message["error"].get<std::string>()
                                                  : message["error"].dump();
      return false;
    }
    return true;
  };
  Status malformed = okStatus();
  auto response = withOperation(operation, transport_.stream(request, [&](std::string_view bytes) {
    auto more = splitter.feed(bytes, on_progress);
    if (!more.ok()) malformed = more.error();
    return more.ok() && *more;
  }));
  if (!response.ok()) return response.error();
  if (response->status / 100 != 2) {
    return apiError(operation, *response,
                    "check that the file is a tar (optionally gzip-compressed) of a root "
                    "filesystem, e.g. `tar -tf` lists it");
  }
  if (stream_error.empty() && malformed.ok() && !response->stopped_early) {
    auto more = splitter.finish(on_progress);
    if (!more.ok()) malformed = more.error();
  }
  if (!malformed.ok()) return makeError(fmt::format("{}: {}", operation, malformed.message()));
  if (!stream_error.empty()) {
    return makeError(
        fmt::format("{}: {} — check that the file is a tar (optionally gzip-compressed) of a root "
                    "filesystem, e.g. `tar -tf` lists it",
                    operation, stream_error));
  }
  return okStatus();
}

Status DockerClient::removeImage(const std::string& name, bool force) {
  const std::string operation = fmt::format("removing image {}", name);
  auto response = send(
      operation, makeRequest("DELETE", fmt::format("{}/images/{}", kApiPrefix,
                                                   percentEncode(name, /*keep_slashes=*/true)) +
                                           QueryBuilder().add("force", force ? "1" : "0").str()));
  if (!response.ok()) return response.error();
  switch (response->status) {
    case 200:
    case 404:  // already gone: removal is idempotent
      return okStatus();
    case 409:
      return apiError(operation, *response,
                      "containers still use the image; remove them first, or remove the image "
                      "with force");
    default:
      return apiError(operation, *response);
  }
}

Status DockerClient::streamEvents(const std::map<std::string, std::vector<std::string>>& filters,
                                  const std::function<bool(const json&)>& on_event) {
  EventsQuery query;
  query.filters = filters;
  return streamEventsMatching(query, on_event);
}

Status DockerClient::streamEventsMatching(const EventsQuery& query,
                                          const std::function<bool(const json&)>& on_event) {
  const std::string operation = "watching Docker events";
  QueryBuilder params;
  if (!query.filters.empty()) params.add("filters", json(query.filters).dump());
  if (!query.since.empty()) params.add("since", query.since);
  if (!query.until.empty()) params.add("until", query.until);
  HttpRequest request = makeRequest("GET", apiPath("/events") + params.str());
  request.timeout = std::chrono::milliseconds(0);  // the stream is meant to stay open

  JsonLineSplitter splitter;
  Status malformed = okStatus();
  auto response = withOperation(operation, transport_.stream(
                                               request,
                                               [&](std::string_view bytes) {
                                                 auto more = splitter.feed(bytes, on_event);
                                                 if (!more.ok()) malformed = more.error();
                                                 return more.ok() && *more;
                                               },
                                               &stop_signal_));
  if (!response.ok()) return response.error();
  if (!malformed.ok()) return makeError(fmt::format("{}: {}", operation, malformed.message()));
  if (response->stopped_early && response->status == 0) return okStatus();  // stop() came first
  if (response->status / 100 != 2) {
    return apiError(operation, *response,
                    response->status == 400
                        ? "check the event filters (keys such as container, event, label, type)"
                        : std::string_view{});
  }
  if (response->stopped_early) return okStatus();
  if (query.until.empty()) {
    return makeError(fmt::format(
        "{}: the Docker daemon closed the event stream; it has probably restarted — check that "
        "dockerd is running (`make up` restarts it) and subscribe again",
        operation));
  }
  auto more = splitter.finish(on_event);
  if (!more.ok()) return makeError(fmt::format("{}: {}", operation, more.message()));
  return okStatus();
}

void DockerClient::stop() { stop_signal_.cancel(); }

}  // namespace coral::docker
