#include "core/desired_state.h"

#include <cstdint>
#include <cstdio>

namespace coral::core {
namespace {

std::string canonical(const NodeSpec& node) {
  // Every field that changes what runs in the container is part of the hash;
  // the hash itself and purely cosmetic fields are not.
  std::string text;
  auto add = [&text](const std::string& key, const std::string& value) {
    text += key;
    text += '=';
    text += value;
    text += '\n';
  };
  add("name", node.name);
  add("hostname", node.hostname);
  add("role", roleName(node.role));
  add("image", node.image);
  for (const auto& arg : node.command) add("cmd", arg);
  add("cpus", std::to_string(node.cpus));
  add("mem", std::to_string(node.mem_mb));
  for (const auto& [k, v] : node.env) add("env." + k, v);
  for (const auto& [k, v] : node.labels) add("label." + k, v);
  for (const auto& p : node.ports) add("port", std::to_string(p.host) + ":" + std::to_string(p.container));
  for (const auto& f : node.files) add("file", f.host_path + ":" + f.container_path);
  return text;
}

std::string joined(const std::vector<std::string>& paths) {
  std::string text;
  for (const auto& path : paths) text += (text.empty() ? "" : " ") + path;
  return text;
}

void addCommonFiles(NodeSpec& node, const NodeFiles& files) {
  if (!files.fetch_url.empty()) {
    node.env["CORAL_FILES_URL"] = files.fetch_url;
    node.env["CORAL_FILES"] = joined(sharedNodeFiles());
    node.env["CORAL_FILES_TOKEN"] = files.worker_token;
    return;
  }
  // Directories, not files: their contents are replaced atomically (rename),
  // which a bind-mounted single file would not see.
  if (!files.share_dir.empty()) node.files.push_back({files.share_dir, "/run/coral/share"});
}

void addNotebookFiles(NodeSpec& notebook, const NodeFiles& files) {
  if (!files.fetch_url.empty()) {
    std::vector<std::string> paths = sharedNodeFiles();
    for (const auto& path : notebookNodeFiles()) paths.push_back(path);
    notebook.env["CORAL_FILES"] = joined(paths);
    notebook.env["CORAL_FILES_TOKEN"] = files.notebook_token_for_fetch;
  } else {
    // This order of mounts is part of the spec hash of existing clusters.
    if (!files.notebook_token.empty()) {
      notebook.files.insert(notebook.files.begin(),
                            {files.notebook_token, "/run/coral/notebook-token"});
    }
    if (!files.notebook_dir.empty()) {
      notebook.files.push_back({files.notebook_dir, "/run/coral/notebook"});
    }
  }
  if (!files.fetch_url.empty() || !files.notebook_dir.empty()) {
    notebook.env["CORAL_TOKEN_FILE"] = "/run/coral/notebook/api-token";
    notebook.env["CORAL_SSH_KEY"] = "/run/coral/notebook/id_ed25519";
  }
}

NodeSpec baseNode(const ClusterSpec& spec, const std::string& name, Role role, int index) {
  NodeSpec node;
  node.name = name;
  node.role = role;
  node.index = index;
  node.hostname = spec.name + "-" + std::to_string(index);
  node.env = spec.env;
  node.env["CORAL_CLUSTER"] = spec.name;
  node.env["CORAL_NODE"] = name;
  node.labels[kLabelCluster] = spec.name;
  node.labels[kLabelNode] = name;
  node.labels[kLabelRole] = roleName(role);
  return node;
}

}  // namespace

std::vector<std::string> sharedNodeFiles() {
  return {"share/authorized_keys", "share/hosts", "share/mac-rules"};
}

std::vector<std::string> notebookNodeFiles() {
  return {"notebook/id_ed25519", "notebook/id_ed25519.pub", "notebook/api-token", "notebook-token"};
}

std::string workerName(int index) { return "worker-" + std::to_string(index); }
std::string notebookName() { return "notebook"; }

std::string stableHash(const std::string& text) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(hash));
  return std::string(out, 12);
}

std::vector<NodeSpec> desiredNodes(const ClusterSpec& spec, const NodeFiles& files) {
  std::vector<NodeSpec> nodes;

  NodeSpec notebook = baseNode(spec, notebookName(), Role::Notebook, 0);
  notebook.image = spec.notebook_image;
  notebook.cpus = spec.notebook_resources.cpus;
  notebook.mem_mb = spec.notebook_resources.mem_mb;
  notebook.ports.push_back({spec.notebook_host_port, kNotebookContainerPort});
  addCommonFiles(notebook, files);
  addNotebookFiles(notebook, files);
  if (!files.api_url.empty()) notebook.env["CORAL_API"] = files.api_url;
  // Jupyter's login page answers 200 without a token.
  notebook.ready_probe =
      HttpProbe{kNotebookContainerPort, "/api/kernelspecs", files.notebook_token, "/login"};
  nodes.push_back(std::move(notebook));

  for (int i = 1; i <= spec.workers; ++i) {
    NodeSpec worker = baseNode(spec, workerName(i), Role::Worker, i);
    worker.image = spec.worker_image;
    worker.cpus = spec.worker_resources.cpus;
    worker.mem_mb = spec.worker_resources.mem_mb;
    addCommonFiles(worker, files);
    nodes.push_back(std::move(worker));
  }

  for (auto& node : nodes) node.spec_hash = stableHash(canonical(node));
  return nodes;
}

}  // namespace coral::core
