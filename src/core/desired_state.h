// Expands a ClusterSpec into the exact nodes that should exist. Pure: the
// same spec and files always give the same nodes and the same spec hashes,
// which is what lets a restarted daemon recognise its own containers.
#pragma once

#include <string>
#include <vector>

#include "core/cluster_spec.h"
#include "core/node.h"

namespace coral::core {

// Host-side files every node gets mounted; empty paths are not mounted.
struct NodeFiles {
  std::string notebook_token;  // mounted at /run/coral/notebook-token on the notebook only
  std::string share_dir;       // mounted at /run/coral/share on every node: authorized_keys, hosts
  std::string notebook_dir;    // mounted at /run/coral/notebook on the notebook only: ssh key, API token
  std::string api_url;         // the management API as nodes reach it (CORAL_API)
};

inline constexpr const char* kLabelCluster = "coral.cluster";
inline constexpr const char* kLabelNode = "coral.node";
inline constexpr const char* kLabelRole = "coral.role";
inline constexpr const char* kLabelSpecHash = "coral.spec-hash";
inline constexpr const char* kLabelGeneration = "coral.generation";

inline constexpr int kNotebookContainerPort = 8888;

std::vector<NodeSpec> desiredNodes(const ClusterSpec& spec, const NodeFiles& files);

std::string workerName(int index);  // "worker-1"
std::string notebookName();         // "notebook"

// A short stable hex digest (FNV-1a 64) of a canonical description.
std::string stableHash(const std::string& text);

}  // namespace coral::core
