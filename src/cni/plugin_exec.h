// Executes one CNI plugin binary (config on stdin) and turns its failure
// into a message naming plugin, network, operation and container.
// Must never pass Coral's own environment to a plugin: only CNI_* and PATH.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "os/subprocess.h"

namespace coral::cni {

struct PluginCall {
  std::string binary;   // absolute path
  std::string type;     // plugin type, for messages
  std::string network;  // network name, for messages
  std::string command;  // ADD, DEL, CHECK, VERSION
  std::string container_id;
  std::string netns;
  std::string ifname;
  std::string cni_args;
  std::string cni_path;  // plugin dirs joined by ':'
  nlohmann::json config;
};

// The exact environment for a call (exposed for tests).
std::map<std::string, std::string> pluginEnvironment(const PluginCall& call);

// Runs the plugin; a non-zero exit becomes an error (see describeFailure).
Result<std::string> execPlugin(const PluginCall& call);

// `CNI plugin "ptp" (network "calico") failed ADD for container abc: code 7
// (invalid network config): <msg> (<details>)`; output that is not error JSON
// is replaced by a quote of stderr.
std::string describeFailure(const PluginCall& call, const os::ProcessOutput& output);

}  // namespace coral::cni
