// Waits until a launched node does its job: sshd accepts connections, the
// notebook answers HTTP with its token and refuses requests without it.
// Probes only the node's own address (a container Coral created) or loopback.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/result.h"

namespace coral::local {

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// One GET with an optional `Authorization: token …` header.
Result<HttpAnswer> httpGet(const std::string& host, int port, const std::string& target,
                           const std::string& token, std::chrono::milliseconds timeout);

// Both poll until ready, `timeout` passes, or `cancelled` (when given) holds.
using Cancelled = std::function<bool()>;

Status waitForTcp(const std::string& host, int port, std::chrono::milliseconds timeout,
                  const Cancelled& cancelled = {});

// Polls until `target` answers 403 without the token and 200 with it.
Status waitForAuthenticatedHttp(const std::string& host, int port, const std::string& target,
                                const std::string& token, std::chrono::milliseconds timeout,
                                const Cancelled& cancelled = {});

}  // namespace coral::local
