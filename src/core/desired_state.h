// Expands a ClusterSpec into the exact nodes that should exist. Pure: the
// same spec and files always give the same nodes and the same spec hashes,
// which is what lets a restarted daemon recognise its own containers.
#pragma once

#include <string>
#include <vector>

#include "core/cluster_spec.h"
#include "core/node.h"

namespace coral::core {

// The cluster's files every node needs under /run/coral. They reach a node in
// one of two ways:
//  - mounted from this machine (local backend): the host paths below; empty
//    paths are not mounted;
//  - fetched over the management API by the node's entrypoint (nodes on other
//    machines, e.g. Mesos agents): when `fetch_url` is set, nodes get
//    CORAL_FILES_URL, CORAL_FILES (paths under /run/coral) and
//    CORAL_FILES_TOKEN instead of mounts, and the entrypoint keeps the hosts
//    inventory current by polling.
struct NodeFiles {
  std::string notebook_token;  // /run/coral/notebook-token on the notebook only
  std::string share_dir;       // /run/coral/share on every node: authorized_keys, hosts
  std::string notebook_dir;    // /run/coral/notebook on the notebook only: ssh key, API token
  std::string api_url;         // the management API as nodes reach it (CORAL_API)

  std::string fetch_url;       // e.g. http://10.0.0.2:7480/v1/node-files
  std::string worker_token;    // reads only the share/ files
  std::string notebook_token_for_fetch;  // the API token: the notebook is the control room
};

// The files a node fetches in fetch mode, as paths under /run/coral and
// under NodeFiles::fetch_url.
std::vector<std::string> sharedNodeFiles();    // share/authorized_keys share/hosts share/mac-rules
std::vector<std::string> notebookNodeFiles();  // notebook/..., notebook-token

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
