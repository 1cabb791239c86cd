#include "cni/plugin_exec.h"

#include <cstdlib>

#include <fmt/format.h>

namespace coral::cni {
namespace {

constexpr size_t kQuoteLimit = 2000;

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
    text.pop_back();
  }
  if (text.size() > kQuoteLimit) text = "…" + text.substr(text.size() - kQuoteLimit);
  return text;
}

// Names from the CNI spec's well-known error codes.
std::string codeName(int code) {
  switch (code) {
    case 1: return "incompatible CNI version";
    case 2: return "unsupported field in network configuration";
    case 3: return "container unknown or does not exist";
    case 4: return "invalid necessary environment variables";
    case 5: return "I/O failure";
    case 6: return "failed to decode content";
    case 7: return "invalid network config";
    case 11: return "try again later";
    default: return code >= 100 ? "plugin-specific error" : "reserved error code";
  }
}

// What a user can do about each class of failure.
std::string codeHint(int code, const PluginCall& call) {
  switch (code) {
    case 1: return fmt::format("use a cniVersion the plugin supports (ask it with CNI_COMMAND=VERSION {})", call.binary);
    case 2:
    case 7: return "fix the network config the message points at";
    case 3: return "the container (or its network namespace) is gone: restart it";
    case 11: return "retry the operation";
    default: return "see the plugin's message above and its stderr";
  }
}

}  // namespace

std::map<std::string, std::string> pluginEnvironment(const PluginCall& call) {
  const char* path = std::getenv("PATH");
  return {
      {"CNI_COMMAND", call.command},
      {"CNI_CONTAINERID", call.container_id},
      {"CNI_NETNS", call.netns},
      {"CNI_IFNAME", call.ifname},
      {"CNI_ARGS", call.cni_args},
      {"CNI_PATH", call.cni_path},
      // Plugins run iptables, ip and their IPAM plugin; they need the usual PATH.
      {"PATH", path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
  };
}

std::string describeFailure(const PluginCall& call, const os::ProcessOutput& output) {
  const std::string head = fmt::format("CNI plugin \"{}\" (network \"{}\") failed {} for container {}",
                                       call.type, call.network, call.command, call.container_id);
  auto error = nlohmann::json::parse(output.out, nullptr, false);
  if (error.is_object() && (error.contains("code") || error.contains("msg"))) {
    int code = 0;
    if (error.contains("code") && error["code"].is_number_integer()) code = error["code"].get<int>();
    std::string msg = error.contains("msg") && error["msg"].is_string() ? error["msg"].get<std::string>() : "";
    std::string details =
        error.contains("details") && error["details"].is_string() ? error["details"].get<std::string>() : "";
    std::string text = fmt::format("{}: code {} ({}): {}", head, code, codeName(code),
                                   msg.empty() ? "(no message)" : msg);
    if (!details.empty()) text += fmt::format(" ({})", details);
    return text + "; " + codeHint(code, call);
  }
  std::string err = trimmed(output.err);
  std::string out = trimmed(output.out);
  std::string text = fmt::format("{}: exit status {} without a CNI error on stdout", head, output.exit_code);
  if (!err.empty()) text += fmt::format("; stderr: \"{}\"", err);
  if (!out.empty()) text += fmt::format("; stdout: \"{}\"", out);
  if (err.empty() && out.empty()) text += " and no output";
  return text + fmt::format("; run {} by hand with the same CNI_* variables to see why", call.binary);
}

Result<std::string> execPlugin(const PluginCall& call) {
  os::ProcessOptions options;
  options.stdin_data = call.config.dump();
  options.env = pluginEnvironment(call);
  auto output = os::runProcess({call.binary}, options);
  if (!output) {
    return makeError(fmt::format("CNI plugin \"{}\" (network \"{}\") could not run {} for container {}: {}",
                                 call.type, call.network, call.command, call.container_id,
                                 output.message()));
  }
  if (output->exit_code != 0) return makeError(describeFailure(call, *output));
  return std::move(output->out);
}

}  // namespace coral::cni
