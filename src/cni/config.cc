#include "cni/config.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "cni/validate.h"
#include "os/atomic_file.h"

namespace coral::cni {
namespace {

namespace fs = std::filesystem;

// The CNI spec says a config without cniVersion is from before 0.3.0; plugins
// (Calico among them) read it as 0.2.0.
constexpr const char* kLegacyVersion = "0.2.0";

Status checkPlugin(const nlohmann::json& plugin, size_t index, const std::string& source) {
  if (!plugin.is_object()) {
    return makeError(fmt::format("CNI network config {}: plugin #{} is not a JSON object; each "
                                 "entry of \"plugins\" must be an object with a \"type\"",
                                 source, index + 1));
  }
  auto type = plugin.find("type");
  if (type == plugin.end() || !type->is_string() || type->get<std::string>().empty()) {
    return makeError(fmt::format("CNI network config {}: plugin #{} has no \"type\"; add the "
                                 "plugin binary name, e.g. \"type\": \"ptp\"",
                                 source, index + 1));
  }
  const std::string name = type->get<std::string>();
  if (name.find('/') != std::string::npos || name == "." || name == "..") {
    return makeError(fmt::format("CNI network config {}: plugin #{} has type \"{}\", which is a "
                                 "path; \"type\" must be a bare binary name found in the plugin "
                                 "directories",
                                 source, index + 1, name));
  }
  return okStatus();
}

Result<std::string> stringField(const nlohmann::json& config, const char* key,
                                const std::string& source, bool required) {
  auto it = config.find(key);
  if (it == config.end()) {
    if (!required) return std::string();
    return makeError(fmt::format("CNI network config {}: missing \"{}\"; add it (e.g. \"{}\": "
                                 "\"{}\")",
                                 source, key, key,
                                 std::string(key) == "name" ? "calico" : "1.0.0"));
  }
  if (!it->is_string()) {
    return makeError(fmt::format("CNI network config {}: \"{}\" must be a string, not {}; quote "
                                 "the value",
                                 source, key, it->type_name()));
  }
  return it->get<std::string>();
}

Result<bool> boolField(const nlohmann::json& config, const char* key, const std::string& source) {
  auto it = config.find(key);
  if (it == config.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  // libcni also accepts the strings "true"/"false" here.
  if (it->is_string() && (*it == "true" || *it == "false")) return *it == "true";
  return makeError(fmt::format("CNI network config {}: \"{}\" must be true or false; fix the "
                               "value",
                               source, key));
}

std::vector<fs::path> filesWithExtensions(const fs::path& dir,
                                          const std::vector<std::string>& extensions) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec)) continue;
    const std::string ext = entry.path().extension().string();
    if (std::find(extensions.begin(), extensions.end(), ext) != extensions.end()) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  return files;
}

}  // namespace

int compareCniVersions(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& v) {
    std::vector<int> out;
    std::stringstream ss(v);
    std::string item;
    while (std::getline(ss, item, '.')) {
      try {
        out.push_back(std::stoi(item));
      } catch (...) {
        out.push_back(0);
      }
    }
    out.resize(3, 0);
    return out;
  };
  auto pa = parts(a), pb = parts(b);
  if (pa < pb) return -1;
  if (pb < pa) return 1;
  return 0;
}

Result<NetworkConfigList> parseNetworkConfig(const nlohmann::json& config,
                                             const std::string& source) {
  if (!config.is_object()) {
    return makeError(fmt::format("CNI network config {} is not a JSON object; a network config "
                                 "is an object with \"name\" and \"plugins\" (or \"type\")",
                                 source));
  }
  NetworkConfigList list;
  list.source_path = source;
  auto name = stringField(config, "name", source, true);
  if (!name) return name.error();
  if (auto valid = validateNetworkName(*name); !valid) {
    return makeError(fmt::format("CNI network config {}: {}", source, valid.message()));
  }
  list.name = *name;
  auto version = stringField(config, "cniVersion", source, false);
  if (!version) return version.error();

  auto plugins = config.find("plugins");
  if (plugins != config.end()) {
    if (!plugins->is_array() || plugins->empty()) {
      return makeError(fmt::format("CNI network config {}: \"plugins\" must be a non-empty list "
                                   "of plugin configs; add at least one plugin",
                                   source));
    }
    if (version->empty()) {
      return makeError(fmt::format("CNI network config {}: a plugin list needs \"cniVersion\" "
                                   "(lists exist since 0.3.0); add e.g. \"cniVersion\": "
                                   "\"1.0.0\"",
                                   source));
    }
    list.cni_version = *version;
    auto disable = boolField(config, "disableCheck", source);
    if (!disable) return disable.error();
    list.disable_check = *disable;
    for (size_t i = 0; i < plugins->size(); ++i) {
      if (auto ok = checkPlugin((*plugins)[i], i, source); !ok) return ok.error();
      list.plugins.push_back((*plugins)[i]);
    }
    return list;
  }

  if (!config.contains("type")) {
    return makeError(fmt::format("CNI network config {}: neither \"plugins\" nor \"type\" is "
                                 "present; a .conflist needs a \"plugins\" list and a single "
                                 ".conf needs the plugin \"type\"",
                                 source));
  }
  if (auto ok = checkPlugin(config, 0, source); !ok) return ok.error();
  list.cni_version = version->empty() ? kLegacyVersion : *version;
  list.plugins.push_back(config);
  return list;
}

Result<NetworkConfigList> loadNetworkConfig(const std::string& path) {
  auto text = os::readFile(path);
  if (!text) {
    return makeError(fmt::format("cannot read CNI network config {}: {}; check the path and its "
                                 "permissions",
                                 path, text.message()));
  }
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(*text);
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix: noise to a user.
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    return makeError(fmt::format("CNI network config {} is not valid JSON: {}; fix the file "
                                 "(python3 -m json.tool {} shows where)",
                                 path, what, path));
  }
  if (fs::path(path).extension() == ".conflist" && config.is_object() &&
      !config.contains("plugins")) {
    return makeError(fmt::format("CNI network config {} is a .conflist without a \"plugins\" "
                                 "list; add \"plugins\" or rename it to .conf if it holds a "
                                 "single plugin config",
                                 path));
  }
  return parseNetworkConfig(config, path);
}

Result<std::optional<NetworkConfigList>> findNetworkConfig(const std::string& dir,
                                                           const std::string& name) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::optional<NetworkConfigList>();
  for (const auto& group : {std::vector<std::string>{".conflist"},
                            std::vector<std::string>{".conf", ".json"}}) {
    for (const auto& file : filesWithExtensions(dir, group)) {
      auto list = loadNetworkConfig(file.string());
      if (!list) return list.error();
      if (list->name == name) return std::optional<NetworkConfigList>(std::move(*list));
    }
  }
  return std::optional<NetworkConfigList>();
}

}  // namespace coral::cni
