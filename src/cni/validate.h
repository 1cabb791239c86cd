// Checks the identifiers the CNI spec constrains (container id, interface
// name, network name) before any plugin runs, so errors come from us.
// Must never touch the system: pure string checks.
#pragma once

#include <string>

#include "core/result.h"

namespace coral::cni {

// Non-empty, starts alphanumeric, then alphanumerics, '_', '.', '-'.
Status validateContainerId(const std::string& id);

// Non-empty, at most 15 bytes (IFNAMSIZ - 1), no '/', ':' or whitespace,
// not "." or "..".
Status validateIfName(const std::string& ifname);

// Same alphabet as container ids (libcni's rule for network names).
Status validateNetworkName(const std::string& name);

}  // namespace coral::cni
