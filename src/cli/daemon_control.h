// How the CLI finds, starts and talks to the daemon of a state dir.
#pragma once

#include <optional>
#include <string>

#include "api/client.h"
#include "core/result.h"
#include "daemon/state_dir.h"

namespace coral::cli {

// A client for the daemon's unix socket, authenticated with the state dir's
// API token; nullopt when no daemon answers there.
std::optional<api::Client> connectDaemon(const daemon::StateDir& dir);

// Starts `coral daemon` for the state dir in the background (its output goes
// to daemon.log) and waits until it answers. `started` says whether this call
// started it (a failed `up` then stops it again).
// With `resume` false a newly started daemon adopts what runs but launches
// nothing (for `down`).
Result<api::Client> ensureDaemon(const daemon::StateDir& dir, const std::string& backend,
                                 bool* started, bool resume = true);

// The backend the cluster of `dir` was brought up with: "mesos" when `up`
// saved Mesos settings there, else "local".
std::string recordedBackend(const daemon::StateDir& dir);

// A client for the daemon of `dir`; nullopt after telling the user how to
// bring the cluster up.
std::optional<api::Client> requireDaemon(const daemon::StateDir& dir);

// Prints why an API call failed and returns the exit code: 0 for a 2xx answer.
int reportApiFailure(const Result<api::Response>& answer);

// Waits until the daemon of `dir` has exited (its lock is free).
Status waitForDaemonExit(const daemon::StateDir& dir, std::chrono::milliseconds timeout);

// The last lines of the daemon's log, for error messages.
std::string daemonLogTail(const daemon::StateDir& dir, int lines);

}  // namespace coral::cli
