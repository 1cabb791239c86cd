// Turns a Docker API reply that is not a success into an Error a user can act
// on: the operation, the HTTP status, Docker's own `{"message": ...}` text,
// and what to do about it.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "docker/http_transport.h"

namespace coral::docker {

// Docker's error text: the "message" field of a JSON error body, else the
// body itself (trimmed), else a description of the bare status code.
std::string dockerMessage(const HttpResponse& response);

// A fix that fits any operation failing with `status`; used when the call
// site has nothing more specific to say.
std::string genericFix(int status);

// "<operation>: <status> <docker message> — <fix>", e.g.
// "creating container coral-demo-worker-1: 404 No such image: coral/worker:latest — build the
// images with `make images`". An empty `fix` uses genericFix(status).
Error apiError(std::string_view operation, const HttpResponse& response, std::string_view fix = {});

}  // namespace coral::docker
