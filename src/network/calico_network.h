// Resolves the `calico` network: Calico's own CNI config when Calico is
// installed, else a routed equivalent from Debian's plugins (ptp et al.).
// Must never modify an existing CNI config; ours goes under the state dir.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cni/config.h"
#include "cni/runtime.h"
#include "core/result.h"

namespace coral::network {

enum class Plugin { Calico, Ptp };

struct NetworkSettings {
  std::string name = "calico";
  std::string subnet = "10.213.0.0/24";
};

struct Options {
  std::string config_dir = "/etc/cni/net.d";
  std::vector<std::string> plugin_dirs = cni::defaultPluginDirs();
};

struct CalicoNetwork {
  Plugin plugin = Plugin::Ptp;
  std::string name;
  std::string subnet;
  std::string gateway;
  cni::NetworkConfigList config;
  std::string config_path;
  std::string reason;    // why this plugin was chosen, for `coral status`
  std::string ipam_dir;  // ptp: host-local's leases, <ipam_dir>/<name>/<ip>
};

// Calico when a config named settings.name with a plugin of type `calico`
// exists in options.config_dir and the calico and calico-ipam binaries are
// found; otherwise the generated ptp list in <state_dir>/cni/<name>.conflist
// (host-local leases in <state_dir>/cni/ipam). Fails when a required plugin
// binary is missing.
Result<CalicoNetwork> resolveNetwork(const NetworkSettings& settings, const std::string& state_dir,
                                     const Options& options = {});

// The routed ptp conflist for `subnet` (gateway = first host address).
nlohmann::json generatePtpConfig(const std::string& name, const std::string& subnet,
                                 const std::string& gateway, const std::string& ipam_dir);

std::string pluginName(Plugin plugin);  // "calico" | "ptp"

// Where the runtime caches attachment results under a state dir.
std::string cniCacheDir(const std::string& state_dir);

}  // namespace coral::network
