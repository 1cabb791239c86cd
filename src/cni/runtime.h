// The CNI runtime (Debian has no cnitool): runs a network's plugin chain for
// ADD, DEL and CHECK per the spec and caches each ADD result for DEL/CHECK.
// Must never configure the host's own netns or leave a half-built attachment.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cni/cni_result.h"
#include "cni/config.h"
#include "cni/runtime_args.h"
#include "core/result.h"

namespace coral::cni {

// /opt/cni/bin first (upstream's convention, where Calico installs), then
// Debian's /usr/lib/cni.
std::vector<std::string> defaultPluginDirs();

class Runtime {
 public:
  Runtime(std::vector<std::string> plugin_dirs, std::string cache_dir);

  // Absolute path of the plugin binary named `type`, searched in order.
  Result<std::string> findPlugin(const std::string& type) const;

  // ADD in order; plugin N gets plugin N-1's result as prevResult. The final
  // result is cached atomically. On a failure in plugin k, DEL runs for
  // plugins k..0 (best effort) before the error is returned. A second ADD
  // for a (container, ifname) that still has a cached result is refused.
  Result<CniResult> add(const NetworkConfigList& network, const RuntimeArgs& args);

  // DEL in reverse order with the cached result as prevResult. Idempotent: a
  // missing netns or cache is fine. The netns, CNI_ARGS and port mappings
  // recorded at ADD are used when `args` leaves them empty. The cache file is
  // removed only when every plugin succeeded, so a failed DEL can be retried.
  // Without a cached result, `fallback_result` (when given) is passed as
  // prevResult instead: plugins such as firewall find their state by it.
  Status del(const NetworkConfigList& network, const RuntimeArgs& args,
             const nlohmann::json* fallback_result = nullptr);

  // CHECK in order with the cached result. Skipped (success) when the list
  // sets disableCheck or its cniVersion predates CHECK (< 0.4.0).
  Status check(const NetworkConfigList& network, const RuntimeArgs& args);

  Result<std::optional<CniResult>> cachedResult(const std::string& network,
                                                const std::string& container_id,
                                                const std::string& ifname) const;

  // Container ids with a cached result for `network` (to clean up after a crash).
  std::vector<std::string> cachedAttachments(const std::string& network) const;

  const std::vector<std::string>& pluginDirs() const { return plugin_dirs_; }
  const std::string& cacheDir() const { return cache_dir_; }

 private:
  // Runs one plugin of the list; returns its stdout (or the formatted error).
  Result<std::string> invoke(const std::string& command, const NetworkConfigList& network,
                             size_t index, const RuntimeArgs& args, const std::string& netns,
                             const nlohmann::json* prev_result) const;
  // DEL for plugins index..0 after a failed ADD; returns what went wrong, if anything.
  std::string rollback(const NetworkConfigList& network, size_t index, const RuntimeArgs& args,
                       const nlohmann::json* prev_result) const;

  std::vector<std::string> plugin_dirs_;
  std::string cache_dir_;
};

}  // namespace coral::cni
