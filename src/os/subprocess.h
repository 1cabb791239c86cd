// Runs a program to completion with an argv (never through a shell), feeding
// stdin and capturing stdout and stderr. Used for CNI plugins, `ip`, and
// `iptables-restore`: tools whose command line is their stable interface.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace coral::os {

struct ProcessOutput {
  int exit_code = 0;  // 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::string stdin_data;
  // When set, replaces the environment entirely (CNI plugins must see only
  // the variables the spec defines plus PATH).
  std::optional<std::map<std::string, std::string>> env;
  std::chrono::milliseconds timeout{60000};
};

// Fails only when the program cannot be started or times out; a non-zero exit
// is reported in ProcessOutput::exit_code for the caller to interpret.
Result<ProcessOutput> runProcess(const std::vector<std::string>& argv,
                                 const ProcessOptions& options = {});

// Convenience for tools whose failure is fatal to the caller: a non-zero exit
// becomes an error that quotes the command and its stderr.
Result<std::string> runChecked(const std::vector<std::string>& argv,
                               const ProcessOptions& options = {});

// Finds an executable by name in $PATH (or returns the argument if it
// already contains a slash and is executable).
std::optional<std::string> findExecutable(const std::string& name);

}  // namespace coral::os
