#include "network/attacher.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "network/egress_guard.h"
#include "network/host_port_access.h"
#include "network/ipv4.h"

namespace coral::network {
namespace {

constexpr const char* kIfName = "eth0";

cni::RuntimeArgs argsFor(const std::string& container_id) {
  cni::RuntimeArgs args;
  args.container_id = container_id;
  args.ifname = kIfName;
  return args;
}

// The address host-local leased to `container_id` (its lease file, named
// after the address, starts with the container ID).
std::optional<std::string> leasedAddress(const CalicoNetwork& network,
                                         const std::string& container_id) {
  std::error_code ec;
  const auto dir = std::filesystem::path(network.ipam_dir) / network.name;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!parseIpv4(name)) continue;
    std::ifstream in(entry.path());
    std::string owner;
    std::getline(in, owner);
    if (!owner.empty() && owner.back() == '\r') owner.pop_back();
    if (owner == container_id) return name;
  }
  return std::nullopt;
}

// What DEL needs when the ADD's result was never cached (the daemon died in
// between): the firewall plugin finds its rules by the addresses in it.
std::optional<nlohmann::json> resultFromLease(const CalicoNetwork& network,
                                              const std::string& container_id) {
  auto ip = leasedAddress(network, container_id);
  auto prefix = parseIpv4Prefix(network.subnet, true);
  if (!ip || !prefix) return std::nullopt;
  return nlohmann::json{{"cniVersion", network.config.cni_version},
                        {"ips", {{{"address", fmt::format("{}/{}", *ip, prefix->length)}}}}};
}

}  // namespace

Attacher::Attacher(const Options& options, const std::string& state_dir)
    : runtime_(options.plugin_dirs, cniCacheDir(state_dir)) {}

Result<Attachment> Attacher::attach(const CalicoNetwork& network, const std::string& container_id,
                                    int pid, const std::vector<cni::PortMapping>& port_mappings) {
  if (pid <= 1 || pid == ::getpid()) {
    return makeError(fmt::format("cannot attach container {} to network {}: pid {} is not a "
                                 "container's process; pass the container's main pid (docker "
                                 "inspect .State.Pid)",
                                 container_id, network.name, pid));
  }
  const std::string netns = fmt::format("/proc/{}/ns/net", pid);
  if (::access(netns.c_str(), F_OK) != 0) {
    return makeError(fmt::format("cannot attach container {} to network {}: {} does not exist, so "
                                 "process {} has exited; start the container again",
                                 container_id, network.name, netns, pid));
  }

  // The spec forbids a second ADD without DEL; an old attachment is stale.
  auto cached = runtime_.cachedResult(network.name, container_id, kIfName);
  if (!cached) return cached.error();
  if (cached->has_value()) {
    if (auto detached = detach(network, container_id); !detached) {
      return makeError(fmt::format("cannot re-attach container {}: its previous attachment could "
                                   "not be removed: {}",
                                   container_id, detached.message()));
    }
  }

  cni::RuntimeArgs args = argsFor(container_id);
  args.netns_path = netns;
  args.port_mappings = port_mappings;
  auto result = runtime_.add(network.config, args);
  if (!result) return result.error();

  Attachment attachment;
  attachment.result = *result;
  auto undo = [&](const std::string& why) -> Error {
    std::string message = fmt::format("attaching container {} to network {} failed: {}",
                                      container_id, network.name, why);
    if (network.plugin == Plugin::Ptp) (void)revokeHostPorts(network.name, container_id);
    if (auto undone = runtime_.del(network.config, argsFor(container_id)); !undone) {
      message += "; undoing the attachment also failed: " + undone.message();
    }
    return makeError(message);
  };
  auto ip = result->firstIpv4();
  if (!ip) {
    return undo(fmt::format("the plugins returned no IPv4 address ({}); check the IPAM section "
                            "of {}",
                            result->raw.dump(), network.config_path));
  }
  attachment.ip = *ip;
  for (const auto& iface : result->interfaces) {
    if (!iface.sandbox.empty() && iface.name == kIfName) attachment.mac = iface.mac;
    if (iface.sandbox.empty() && attachment.host_veth.empty()) attachment.host_veth = iface.name;
  }
  // Calico's policy (Felix) decides who may reach its workloads; with the
  // ptp network nothing else would let outside clients through FORWARD.
  if (network.plugin == Plugin::Ptp) {
    if (auto allowed = allowHostPorts(network.name, container_id, attachment.ip, port_mappings);
        !allowed) {
      return undo(allowed.message());
    }
    // The first attachment on a host puts the CNI firewall plugin's jump
    // above the guard.
    if (auto guarded = keepEgressGuardFirst(network.subnet); !guarded) return undo(guarded.message());
  }
  return attachment;
}

Status Attacher::detach(const CalicoNetwork& network, const std::string& container_id) {
  std::string problems;
  if (network.plugin == Plugin::Ptp) {
    if (auto revoked = revokeHostPorts(network.name, container_id); !revoked) {
      problems = revoked.message();
    }
  }
  std::optional<nlohmann::json> fallback;
  if (network.plugin == Plugin::Ptp) {
    auto cached = runtime_.cachedResult(network.name, container_id, kIfName);
    if (cached && !cached->has_value()) fallback = resultFromLease(network, container_id);
  }
  if (auto deleted = runtime_.del(network.config, argsFor(container_id), fallback ? &*fallback : nullptr);
      !deleted) {
    problems += (problems.empty() ? "" : "; ") + deleted.message();
  }
  if (!problems.empty()) {
    return makeError(fmt::format("detaching container {} from network {} failed: {}",
                                 container_id, network.name, problems));
  }
  return okStatus();
}

Status Attacher::check(const CalicoNetwork& network, const std::string& container_id) {
  if (network.plugin != Plugin::Ptp) return runtime_.check(network.config, argsFor(container_id));
  // portmap 1.1.1 (Debian's) fails CHECK for every IPv4-only container: it
  // looks for the container's DNAT chain in ip6tables too (measured here;
  // containernetworking/plugins#819, fixed upstream later). Without the
  // capability portmap gets no mappings and skips its check, so we run the
  // chain that way and check portmap's IPv4 rules and ours directly.
  cni::NetworkConfigList list = network.config;
  for (auto& plugin : list.plugins) {
    if (plugin.value("type", "") == "portmap") plugin.erase("capabilities");
  }
  if (auto checked = runtime_.check(list, argsFor(container_id)); !checked) return checked;
  return checkHostPorts(network.name, container_id, runtime_.cacheDir());
}

std::vector<std::string> Attacher::attachedContainers(const CalicoNetwork& network) const {
  return runtime_.cachedAttachments(network.name);
}

}  // namespace coral::network
