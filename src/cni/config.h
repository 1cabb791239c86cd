// CNI network configuration: loading .conflist/.conf/.json files and finding
// a network by name in a config directory the way libcni does.
// Must never execute plugins or change the system: it only reads files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace coral::cni {

struct NetworkConfigList {
  std::string name;
  std::string cni_version;
  std::vector<nlohmann::json> plugins;  // each has a string "type"
  bool disable_check = false;
  std::string source_path;  // file it came from, or a description, for messages
};

// A .conflist, or a single .conf/.json plugin config (wrapped as a one-plugin
// list with that config's name and cniVersion).
Result<NetworkConfigList> loadNetworkConfig(const std::string& path);

// Scans `dir` like libcni: every *.conflist sorted by file name first, then
// *.conf and *.json sorted by file name; the first with `name` wins. A missing
// directory or no match is std::nullopt; an unreadable or invalid file is an
// error (libcni refuses such a directory too, and guessing would hide it).
Result<std::optional<NetworkConfigList>> findNetworkConfig(const std::string& dir,
                                                           const std::string& name);

// Accepts both shapes: an object with "plugins" (a list) or with "type" (a
// single plugin config). `source` names the origin in error messages.
Result<NetworkConfigList> parseNetworkConfig(const nlohmann::json& config,
                                             const std::string& source);

// Compares dotted CNI versions ("0.4.0" < "1.0.0"); unparsable parts count as 0.
int compareCniVersions(const std::string& a, const std::string& b);

}  // namespace coral::cni
