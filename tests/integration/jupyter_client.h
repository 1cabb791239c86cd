// A minimal Jupyter client for tests: REST calls and running code in a
// kernel over the websocket channels API, as a browser would.
#pragma once

#include <chrono>
#include <string>

#include "core/result.h"

namespace coral::testing {

struct HttpReply {
  int status = 0;
  std::string body;
};

Result<HttpReply> httpRequest(const std::string& host, int port, const std::string& method,
                              const std::string& target, const std::string& token,
                              const std::string& body = "");

struct ExecutionResult {
  std::string status;  // "ok" | "error"
  std::string text;    // execute_result text/plain, or stream output
};

// Starts a python3 kernel, runs `code`, deletes the kernel.
Result<ExecutionResult> runInKernel(const std::string& host, int port, const std::string& token,
                                    const std::string& code, std::chrono::seconds timeout);

// Opens a Jupyter terminal, types `line` and Enter, and returns what the
// terminal printed until `until` appeared (or the timeout passed); deletes
// the terminal. The terminal echoes what is typed: `until` should not be
// in `line` literally.
Result<std::string> runInTerminal(const std::string& host, int port, const std::string& token,
                                  const std::string& line, const std::string& until,
                                  std::chrono::seconds timeout);

}  // namespace coral::testing
