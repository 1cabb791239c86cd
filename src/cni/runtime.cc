#include "cni/runtime.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "cni/attachment_cache.h"
#include "cni/plugin_config.h"
#include "cni/plugin_exec.h"
#include "cni/validate.h"

namespace coral::cni {
namespace {

std::string joinDirs(const std::vector<std::string>& dirs, const char* separator) {
  std::string out;
  for (const auto& dir : dirs) {
    if (!out.empty()) out += separator;
    out += dir;
  }
  return out;
}

std::string pluginType(const NetworkConfigList& network, size_t index) {
  return network.plugins.at(index).at("type").get<std::string>();
}

Status validateArgs(const RuntimeArgs& args) {
  if (auto ok = validateContainerId(args.container_id); !ok) return ok;
  if (auto ok = validateIfName(args.ifname); !ok) return ok;
  for (const auto& mapping : args.port_mappings) {
    if (auto ok = validatePortMapping(mapping); !ok) return ok;
  }
  return okStatus();
}

Status validateList(const NetworkConfigList& network) {
  if (network.plugins.empty()) {
    return makeError(fmt::format("CNI network \"{}\" ({}) has no plugins; add at least one",
                                 network.name, network.source_path));
  }
  if (auto ok = validateNetworkName(network.name); !ok) return ok;
  for (size_t i = 0; i < network.plugins.size(); ++i) {
    const auto& p = network.plugins[i];
    if (!p.is_object() || !p.contains("type") || !p["type"].is_string()) {
      return makeError(fmt::format("CNI network \"{}\" ({}): plugin #{} has no \"type\"; load "
                                   "the config with loadNetworkConfig so it is checked",
                                   network.name, network.source_path, i + 1));
    }
  }
  return okStatus();
}

// DEL and CHECK get the ADD result as prevResult only from 0.4.0 on (libcni
// does the same; older plugins do not expect the key).
bool passesCachedResult(const NetworkConfigList& network) {
  return compareCniVersions(network.cni_version, "0.4.0") >= 0;
}

}  // namespace

std::vector<std::string> defaultPluginDirs() { return {"/opt/cni/bin", "/usr/lib/cni"}; }

Runtime::Runtime(std::vector<std::string> plugin_dirs, std::string cache_dir)
    : plugin_dirs_(std::move(plugin_dirs)), cache_dir_(std::move(cache_dir)) {}

Result<std::string> Runtime::findPlugin(const std::string& type) const {
  if (type.empty() || type.find('/') != std::string::npos || type == "." || type == "..") {
    return makeError(fmt::format("CNI plugin type \"{}\" is not a binary name; set \"type\" to "
                                 "the plugin's file name, e.g. \"ptp\"",
                                 type));
  }
  for (const auto& dir : plugin_dirs_) {
    const std::string path = dir + "/" + type;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0) {
      return path;
    }
  }
  std::string fix;
  if (type == "calico" || type == "calico-ipam") {
    fix = "install Calico's CNI binaries calico and calico-ipam (from a Calico release) into one "
          "of them";
  } else {
    fix = "install the Debian package containernetworking-plugins (apt-get install "
          "containernetworking-plugins), which provides the standard plugins in /usr/lib/cni, or "
          "put a binary named \"" + type + "\" into one of them";
  }
  return makeError(fmt::format("CNI plugin \"{}\" not found: searched {}; {}", type,
                               plugin_dirs_.empty() ? std::string("no directories")
                                                    : joinDirs(plugin_dirs_, ", "),
                               fix));
}

Result<std::string> Runtime::invoke(const std::string& command, const NetworkConfigList& network,
                                    size_t index, const RuntimeArgs& args,
                                    const std::string& netns,
                                    const nlohmann::json* prev_result) const {
  const std::string type = pluginType(network, index);
  auto binary = findPlugin(type);
  if (!binary) {
    return makeError(fmt::format("network \"{}\" cannot run {} for container {}: {}",
                                 network.name, command, args.container_id, binary.message()));
  }
  auto cni_args = formatCniArgs(args.cni_args);
  if (!cni_args) return cni_args.error();
  PluginCall call;
  call.binary = *binary;
  call.type = type;
  call.network = network.name;
  call.command = command;
  call.container_id = args.container_id;
  call.netns = netns;
  call.ifname = args.ifname;
  call.cni_args = *cni_args;
  call.cni_path = joinDirs(plugin_dirs_, ":");
  call.config = buildPluginConfig(network, index, args.port_mappings, prev_result);
  return execPlugin(call);
}

std::string Runtime::rollback(const NetworkConfigList& network, size_t index,
                              const RuntimeArgs& args, const nlohmann::json* prev_result) const {
  std::string problems;
  for (size_t i = index + 1; i-- > 0;) {
    auto out = invoke("DEL", network, i, args, args.netns_path, prev_result);
    if (!out) problems += (problems.empty() ? "" : "; ") + out.message();
  }
  return problems;
}

Result<CniResult> Runtime::add(const NetworkConfigList& network, const RuntimeArgs& args) {
  if (auto ok = validateList(network); !ok) return ok.error();
  if (auto ok = validateArgs(args); !ok) return ok.error();
  if (args.netns_path.empty()) {
    return makeError(fmt::format("cannot attach container {} to network \"{}\": no network "
                                 "namespace given; pass the container's /proc/PID/ns/net",
                                 args.container_id, network.name));
  }
  const std::string identity = namespaceIdentity(args.netns_path);
  if (!identity.empty() && identity == namespaceIdentity("/proc/self/ns/net")) {
    return makeError(fmt::format("cannot attach container {} to network \"{}\": {} is Coral's "
                                 "own (host) network namespace, which must never be configured "
                                 "by CNI; pass the container's /proc/PID/ns/net",
                                 args.container_id, network.name, args.netns_path));
  }
  // The spec forbids a second ADD for the same (container, ifname) without DEL.
  auto cached = readCacheRecord(cache_dir_, network.name, args.container_id, args.ifname);
  if (!cached) return cached.error();
  if (cached->has_value()) {
    return makeError(fmt::format("container {} is already attached to network \"{}\" as {} "
                                 "(cached in {}); detach it (CNI DEL) before attaching again",
                                 args.container_id, network.name, args.ifname,
                                 cacheFilePath(cache_dir_, network.name, args.container_id,
                                               args.ifname)));
  }

  nlohmann::json prev;  // null: the first plugin gets no prevResult
  for (size_t i = 0; i < network.plugins.size(); ++i) {
    auto out = invoke("ADD", network, i, args, args.netns_path, prev.is_null() ? nullptr : &prev);
    std::string failure;
    nlohmann::json parsed;
    if (!out) {
      failure = out.message();
    } else {
      parsed = nlohmann::json::parse(*out, nullptr, false);
      if (parsed.is_discarded() || !parsed.is_object()) {
        failure = fmt::format("CNI plugin \"{}\" (network \"{}\") printed no CNI result for ADD "
                              "of container {} (stdout: \"{}\"); the plugin is broken or does "
                              "not speak cniVersion {}: upgrade or replace it",
                              pluginType(network, i), network.name, args.container_id,
                              out->substr(0, 500), network.cni_version);
      }
    }
    if (!failure.empty()) {
      std::string problems = rollback(network, i, args, prev.is_null() ? nullptr : &prev);
      if (!problems.empty()) failure += "; cleaning up after it also failed: " + problems;
      return makeError(failure);
    }
    prev = std::move(parsed);
  }

  auto result = parseResult(prev);
  Status stored = result ? okStatus() : Status(result.error());
  if (stored) {
    CacheRecord record{network.name, args.container_id, args.ifname, args.netns_path, identity,
                       args.cni_args, args.port_mappings, prev};
    stored = writeCacheRecord(cache_dir_, record);
  }
  if (!stored) {
    // Without a cached result a later DEL could not clean up: undo now.
    std::string problems = rollback(network, network.plugins.size() - 1, args, &prev);
    std::string message = fmt::format("attaching container {} to network \"{}\" was undone: {}",
                                      args.container_id, network.name, stored.message());
    if (!problems.empty()) message += "; cleaning up also failed: " + problems;
    return makeError(message);
  }
  return result;
}

Status Runtime::del(const NetworkConfigList& network, const RuntimeArgs& args,
                    const nlohmann::json* fallback_result) {
  if (auto ok = validateList(network); !ok) return ok;
  if (auto ok = validateArgs(args); !ok) return ok;
  auto cached = readCacheRecord(cache_dir_, network.name, args.container_id, args.ifname);
  if (!cached) return cached.error();

  RuntimeArgs effective = args;
  if (cached->has_value()) {
    const CacheRecord& record = **cached;
    if (effective.netns_path.empty()) effective.netns_path = record.netns;
    if (effective.cni_args.empty()) effective.cni_args = record.cni_args;
    if (effective.port_mappings.empty()) effective.port_mappings = record.port_mappings;
  }
  // A netns that is gone, or whose path now names another namespace (the PID
  // was reused), is passed as empty: the plugins then release IPAM and
  // iptables state without entering any namespace. Never the host's own.
  std::string netns = effective.netns_path;
  const std::string identity = namespaceIdentity(netns);
  if (identity.empty() || identity == namespaceIdentity("/proc/self/ns/net") ||
      (cached->has_value() && !(*cached)->netns_identity.empty() &&
       netns == (*cached)->netns && identity != (*cached)->netns_identity)) {
    netns.clear();
  }
  effective.netns_path = netns;

  nlohmann::json prev;
  if (passesCachedResult(network)) {
    if (cached->has_value()) {
      prev = (*cached)->result;
    } else if (fallback_result != nullptr) {
      prev = *fallback_result;
    }
  }
  std::string problems;
  for (size_t i = network.plugins.size(); i-- > 0;) {
    // Keep going after a failure: the other plugins' state should still go.
    auto out = invoke("DEL", network, i, effective, netns, prev.is_null() ? nullptr : &prev);
    if (!out) problems += (problems.empty() ? "" : "; ") + out.message();
  }
  if (!problems.empty()) {
    return makeError(problems + fmt::format(" (the cached result was kept so that detaching "
                                            "container {} can be retried)",
                                            args.container_id));
  }
  return removeCacheRecord(cache_dir_, network.name, args.container_id, args.ifname);
}

Status Runtime::check(const NetworkConfigList& network, const RuntimeArgs& args) {
  if (auto ok = validateList(network); !ok) return ok;
  if (network.disable_check || !passesCachedResult(network)) return okStatus();
  if (auto ok = validateArgs(args); !ok) return ok;
  auto cached = readCacheRecord(cache_dir_, network.name, args.container_id, args.ifname);
  if (!cached) return cached.error();
  if (!cached->has_value()) {
    return makeError(fmt::format("cannot CHECK container {} on network \"{}\": no cached ADD "
                                 "result in {}; the container was never attached (or its cache "
                                 "was removed): attach it again",
                                 args.container_id, network.name, cache_dir_));
  }
  RuntimeArgs effective = args;
  const CacheRecord& record = **cached;
  if (effective.netns_path.empty()) effective.netns_path = record.netns;
  if (effective.cni_args.empty()) effective.cni_args = record.cni_args;
  if (effective.port_mappings.empty()) effective.port_mappings = record.port_mappings;
  const std::string identity = namespaceIdentity(effective.netns_path);
  if (identity.empty() || (effective.netns_path == record.netns && !record.netns_identity.empty() &&
                           identity != record.netns_identity)) {
    return makeError(fmt::format("cannot CHECK container {} on network \"{}\": its network "
                                 "namespace {} is gone or was replaced since it was attached "
                                 "(e.g. by a container restart); detach and attach it again",
                                 args.container_id, network.name, effective.netns_path));
  }
  for (size_t i = 0; i < network.plugins.size(); ++i) {
    auto out = invoke("CHECK", network, i, effective, effective.netns_path, &record.result);
    if (!out) return out.error();
  }
  return okStatus();
}

Result<std::optional<CniResult>> Runtime::cachedResult(const std::string& network,
                                                       const std::string& container_id,
                                                       const std::string& ifname) const {
  auto cached = readCacheRecord(cache_dir_, network, container_id, ifname);
  if (!cached) return cached.error();
  if (!cached->has_value()) return std::optional<CniResult>();
  auto parsed = parseResult((*cached)->result);
  if (!parsed) return parsed.error();
  return std::optional<CniResult>(std::move(*parsed));
}

std::vector<std::string> Runtime::cachedAttachments(const std::string& network) const {
  std::set<std::string> ids;
  for (const auto& record : listCacheRecords(cache_dir_)) {
    if (record.network == network) ids.insert(record.container_id);
  }
  return {ids.begin(), ids.end()};
}

}  // namespace coral::cni
