// The address people use to reach this machine: the IPv4 address of the
// interface that carries the default route (shown in the notebook URL).
#pragma once

#include <string>

namespace coral::daemon {

// Falls back to 127.0.0.1 when the machine has no default route.
std::string hostAddress();

}  // namespace coral::daemon
