// Runs iptables for this module: commands, listings, and atomic batches
// through `iptables-restore --noflush` (all lines apply or none).
// Must never flush or replace a table: batches carry only the caller's lines.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "os/subprocess.h"

namespace coral::network {

// `iptables -w -t TABLE ARGS...`; a non-zero exit is reported in exit_code.
Result<os::ProcessOutput> runIptables(const std::string& table, const std::vector<std::string>& args);

// `iptables -w -t TABLE -S`: the whole table. (Listing one chain is no
// use: iptables-nft 1.8.9 reports a missing chain as "incompatible, use
// 'nft' tool", indistinguishable from a real problem.)
Result<std::string> listIptablesRules(const std::string& table);

// One transaction: "*TABLE", the lines, "COMMIT".
Status applyIptablesBatch(const std::string& table, const std::vector<std::string>& lines);

}  // namespace coral::network
