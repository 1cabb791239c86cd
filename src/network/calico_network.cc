#include "network/calico_network.h"

#include <fmt/format.h>

#include "cni/validate.h"
#include "network/ipv4.h"
#include "network/subnet_check.h"
#include "os/atomic_file.h"

namespace coral::network {
namespace {

// Calico's containers route via this link-local gateway, answered by proxy ARP.
constexpr const char* kCalicoGateway = "169.254.1.1";

bool hasCalicoPlugin(const cni::NetworkConfigList& list) {
  for (const auto& plugin : list.plugins) {
    if (plugin.value("type", "") == "calico") return true;
  }
  return false;
}

// Calico's pool comes from its IPAM config when the config names one.
std::string calicoSubnet(const cni::NetworkConfigList& list, const std::string& fallback) {
  for (const auto& plugin : list.plugins) {
    if (plugin.value("type", "") != "calico") continue;
    auto ipam = plugin.find("ipam");
    if (ipam == plugin.end() || !ipam->is_object()) continue;
    auto pools = ipam->find("ipv4_pools");
    if (pools == ipam->end() || !pools->is_array()) continue;
    for (const auto& pool : *pools) {
      if (pool.is_string() && parseIpv4Prefix(pool.get<std::string>(), true)) return pool.get<std::string>();
    }
  }
  return fallback;
}

}  // namespace

std::string pluginName(Plugin plugin) { return plugin == Plugin::Calico ? "calico" : "ptp"; }

std::string cniCacheDir(const std::string& state_dir) { return state_dir + "/cni/cache"; }

nlohmann::json generatePtpConfig(const std::string& name, const std::string& subnet,
                                 const std::string& gateway, const std::string& ipam_dir) {
  return {
      {"cniVersion", "1.0.0"},
      {"name", name},
      {"plugins",
       {
           {{"type", "ptp"},
            {"ipMasq", false},
            {"ipam",
             {{"type", "host-local"},
              {"ranges", {{{{"subnet", subnet}, {"gateway", gateway}}}}},
              // ptp's CHECK fails for a route without "gw" (measured), and
              // port-mapped containers need the default route back.
              {"routes", {{{"dst", "0.0.0.0/0"}, {"gw", gateway}}}},
              {"dataDir", ipam_dir}}}},
           // FORWARD's policy is DROP once dockerd runs: firewall accepts the
           // containers' own traffic.
           {{"type", "firewall"}, {"backend", "iptables"}},
           {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}, {"snat", true}},
       }},
  };
}

Result<CalicoNetwork> resolveNetwork(const NetworkSettings& settings, const std::string& state_dir,
                                     const Options& options) {
  if (auto ok = cni::validateNetworkName(settings.name); !ok) return ok.error();
  cni::Runtime runtime(options.plugin_dirs, cniCacheDir(state_dir));

  std::string reason;
  auto existing = cni::findNetworkConfig(options.config_dir, settings.name);
  if (!existing) return existing.error();
  if (existing->has_value() && hasCalicoPlugin(**existing)) {
    auto calico = runtime.findPlugin("calico");
    auto ipam = calico ? runtime.findPlugin("calico-ipam") : calico;
    if (calico && ipam) {
      CalicoNetwork net;
      net.plugin = Plugin::Calico;
      net.name = settings.name;
      net.config = std::move(**existing);
      net.config_path = net.config.source_path;
      net.subnet = calicoSubnet(net.config, settings.subnet);
      net.gateway = kCalicoGateway;
      net.reason = fmt::format("Calico config {} and Calico's binaries found", net.config_path);
      return net;
    }
    reason = fmt::format("Calico config {} found but its binaries are missing ({}); using the "
                         "routed ptp equivalent",
                         (*existing)->source_path, (calico ? ipam : calico).message());
  } else {
    reason = fmt::format("no Calico config named \"{}\" in {}; using the routed ptp equivalent",
                         settings.name, options.config_dir);
  }

  if (auto valid = validateSubnet(settings.subnet, settings.name); !valid) return valid.error();
  for (const char* type : {"ptp", "host-local", "firewall", "portmap"}) {
    auto found = runtime.findPlugin(type);
    if (!found) {
      return makeError(fmt::format("network {} cannot be set up: {}", settings.name, found.message()));
    }
  }
  auto prefix = parseIpv4Prefix(settings.subnet, true);
  const std::string gateway = formatIpv4(prefix->first() + 1);
  const std::string cni_dir = state_dir + "/cni";
  const std::string ipam_dir = cni_dir + "/ipam";
  if (auto made = os::makeDirectories(ipam_dir, 0700); !made) {
    return makeError(fmt::format("cannot create the IPAM directory of network {}: {}", settings.name,
                                 made.message()));
  }
  const std::string path = fmt::format("{}/{}.conflist", cni_dir, settings.name);
  const auto json = generatePtpConfig(settings.name, settings.subnet, gateway, ipam_dir);
  if (auto written = os::writeFileAtomically(path, json.dump(2) + "\n"); !written) {
    return makeError(fmt::format("cannot write the CNI config of network {}: {}", settings.name,
                                 written.message()));
  }
  auto list = cni::parseNetworkConfig(json, path);
  if (!list) return list.error();

  CalicoNetwork net;
  net.plugin = Plugin::Ptp;
  net.name = settings.name;
  net.subnet = prefix->toString();
  net.gateway = gateway;
  net.config = std::move(*list);
  net.config_path = path;
  net.reason = reason;
  net.ipam_dir = ipam_dir;
  return net;
}

}  // namespace coral::network
