#include "network/iptables_exec.h"

#include <fmt/format.h>

namespace coral::network {

Result<os::ProcessOutput> runIptables(const std::string& table, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"iptables", "-w", "-t", table};
  argv.insert(argv.end(), args.begin(), args.end());
  auto out = os::runProcess(argv);
  if (!out) {
    return makeError(fmt::format("cannot run iptables: {}; install the iptables package", out.message()));
  }
  return out;
}

Result<std::string> listIptablesRules(const std::string& table) {
  auto out = runIptables(table, {"-S"});
  if (!out) return out.error();
  if (out->exit_code != 0) {
    return makeError(fmt::format("`iptables -t {} -S` failed: {}; check that iptables works (it "
                                 "needs root)",
                                 table, out->err));
  }
  return std::move(out->out);
}

Status applyIptablesBatch(const std::string& table, const std::vector<std::string>& lines) {
  std::string input = "*" + table + "\n";
  for (const auto& line : lines) input += line + "\n";
  input += "COMMIT\n";
  os::ProcessOptions options;
  options.stdin_data = input;
  auto out = os::runProcess({"iptables-restore", "-w", "--noflush"}, options);
  if (!out) {
    return makeError(fmt::format("cannot run iptables-restore: {}; install the iptables package",
                                 out.message()));
  }
  if (out->exit_code != 0) {
    return makeError(fmt::format("iptables-restore rejected a change to table {} (nothing was "
                                 "changed): {}",
                                 table, out->err));
  }
  return okStatus();
}

}  // namespace coral::network
