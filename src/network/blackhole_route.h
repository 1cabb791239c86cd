// A blackhole route for the whole container subnet, so traffic to unused
// addresses of it is dropped here instead of leaving by the default route.
// Must never replace or delete a route other than that exact blackhole.
#pragma once

#include <string>

#include "core/result.h"

namespace coral::network {

Status addBlackholeRoute(const std::string& subnet);
Status removeBlackholeRoute(const std::string& subnet);

}  // namespace coral::network
