// Reads a task's output from its Mesos agent, the way the Mesos web UI does:
// the agent's /files/read endpoint on the executor's sandbox, addressed by
// its virtual path /frameworks/<framework>/executors/<executor>/runs/latest.
// Blocking (one HTTP request per call): run it off the event loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace coral::mesos {

struct SandboxLocation {
  std::string agentHost;  // Offer.url address (ip, else hostname)
  uint16_t agentPort = 5051;
  std::string frameworkId;
  std::string executorId;  // the command executor's ID is the task ID
  std::optional<std::string> authorization;  // "Basic ..." when the agent wants HTTP auth

  std::string virtualPath() const;  // /frameworks/F/executors/E/runs/latest
};

struct SandboxOutput {
  std::vector<std::string> stdoutLines;
  std::vector<std::string> stderrLines;
};

// The last `tail` lines (negative: all, up to the last 4 MiB) of the sandbox's
// stdout and stderr.
Result<SandboxOutput> readSandboxTail(const SandboxLocation& where, int tail);

}  // namespace coral::mesos
