// `coral policy apply|list|rm|export`: the cluster's firewall policies.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "cli/commands.h"

namespace coral::cli {

struct PolicyOptions {
  CommonOptions common;
  std::string file;         // apply -f
  std::string name;         // rm NAME
  bool calico = false;      // export --calico
  std::string calico_etcd;  // export --calico-etcd URL
  std::string verb;         // apply | list | rm | export
};

// Adds `policy` and its verbs to `app`; returns the `policy` subcommand.
CLI::App* addPolicyCommand(CLI::App& app, PolicyOptions& options);
int runPolicy(PolicyOptions& options, CLI::App* policy_cmd);

}  // namespace coral::cli
