// The `coral` verbs. Each returns the process exit code and prints what a
// person needs: progress while working, one clear message when it fails.
#pragma once

#include <string>

namespace coral::cli {

struct CommonOptions {
  std::string state_dir;  // empty: the default for the cluster
  std::string cluster = "coral";
  std::string stateDir() const;
};

struct UpOptions {
  CommonOptions common;
  std::string spec_file;
  std::string backend = "local";
  bool attach = false;
  int timeout_seconds = 300;
  // --backend mesos (persisted in the state dir as mesos.json for the daemon)
  std::string master;
  std::string containerizer = "docker";
  std::string content_type = "protobuf";
  std::string role = "coral";
  std::string principal;
  std::string secret_file;
  double failover_timeout = 604800;
  std::string api_address;
  bool no_spread = false;
  std::string calico_etcd;
};

int runUp(const UpOptions& options);
int runStatus(const CommonOptions& options, const std::string& output);
int runDown(const CommonOptions& options, bool keep_state);
int runScale(const CommonOptions& options, int workers);
int runRestart(const CommonOptions& options, const std::string& node);
int runLogs(const CommonOptions& options, const std::string& node, int tail);
int runEvents(const CommonOptions& options);
int runDaemon(const std::string& state_dir, const std::string& backend, bool resume);

}  // namespace coral::cli
