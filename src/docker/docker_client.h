// Client for the Docker Engine API (v1.41) over the daemon's Unix socket:
// the container and image operations Coral needs to run a cluster of
// containers. Every failure is an Error naming the operation, cause and fix.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "docker/cancel_signal.h"
#include "docker/docker_types.h"
#include "docker/http_transport.h"

namespace coral::docker {

// Thread-safe: every call opens its own connection and the client holds no
// per-call state, so one instance may serve concurrent calls from several
// threads. stop() may be called from any thread.
class DockerClient {
 public:
  explicit DockerClient(std::string socket_path = "/var/run/docker.sock");

  const std::string& socketPath() const { return transport_.socketPath(); }

  // GET /_ping: the daemon is up and answering.
  Status ping();

  // Returns the new container's id. A name already in use (409) is an error
  // that says to remove the old container; a missing image (404) says to
  // build it — create never pulls.
  Result<std::string> createContainer(const ContainerSpec& spec);

  // Already running (304) is success.
  Status startContainer(const std::string& id);

  // nullopt when the container does not exist: the way to tell "not found"
  // apart from other failures.
  Result<std::optional<ContainerInfo>> findContainer(const std::string& id_or_name);

  // Like findContainer, but a missing container is an error whose text says
  // "no such container".
  Result<ContainerInfo> inspectContainer(const std::string& id_or_name);

  // SIGTERM, then SIGKILL after `timeout_seconds`. Already stopped (304) is success.
  Status stopContainer(const std::string& id, int timeout_seconds);

  // Blocks until the container is not running (returns at once if it is
  // not) and returns its exit code; fails after `timeout`.
  Result<int> waitContainer(const std::string& id, std::chrono::milliseconds timeout);

  // A container that is not running (409) is an error.
  Status killContainer(const std::string& id, const std::string& signal = "SIGKILL");

  // Removes the container and its anonymous volumes. Idempotent: a missing
  // container (404) is success.
  Status removeContainer(const std::string& id, bool force);

  // Containers carrying all the given labels (an empty value matches any
  // value). From a list, ContainerState has only `status` and `running`.
  Result<std::vector<ContainerInfo>> listContainers(
      const std::map<std::string, std::string>& label_filter, bool include_stopped);

  // Runs argv in the running container and waits for it: exec create, exec
  // start (stdout and stderr demultiplexed), exec inspect for the exit code.
  // Past `timeout` this fails; Docker has no way to stop an exec, so the
  // command may keep running inside the container.
  Result<ExecResult> exec(const std::string& id, const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout);

  // The last `tail` lines (negative = all) of stdout and stderr, interleaved
  // in the order Docker logged them.
  Result<std::string> logs(const std::string& id, int tail);

  // nullopt when no image has that name.
  Result<std::optional<ImageInfo>> inspectImage(const std::string& name);

  // Loads a root-filesystem tarball as image repo:tag without a registry
  // (POST /images/create?fromSrc=-). Errors reported inside Docker's progress
  // stream fail the call.
  Status importImage(const std::string& tar_path, const std::string& repo, const std::string& tag);

  // Untags and deletes an image. Idempotent: a missing image (404) is success.
  Status removeImage(const std::string& name, bool force);

  // Streams /events matching `filters` (e.g. {"container": {id}, "event":
  // {"start"}}) until on_event returns false or stop() is called. Both end
  // the stream with success; the daemon closing it is an error.
  Status streamEvents(const std::map<std::string, std::vector<std::string>>& filters,
                      const std::function<bool(const nlohmann::json&)>& on_event);
  // Same, with `since` (replay past events first) and `until` (the stream
  // ends, successfully, at that time). A separate name keeps
  // `streamEvents({}, ...)` unambiguous.
  Status streamEventsMatching(const EventsQuery& query,
                              const std::function<bool(const nlohmann::json&)>& on_event);

  // Makes every running streamEvents on this client return promptly, and
  // every later one return at once (so a stop() racing with the start of a
  // stream is not lost). Other calls are not affected.
  void stop();

 private:
  // Sends a request; a transport failure becomes "<operation>: <cause>".
  Result<HttpResponse> send(const std::string& operation, const HttpRequest& request);

  UnixHttpTransport transport_;
  CancelSignal stop_signal_;
};

}  // namespace coral::docker
