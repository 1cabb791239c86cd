#include "spec/spec_writer.h"

#include <yaml-cpp/yaml.h>

namespace coral::spec {

std::string toYaml(const core::ClusterSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "cluster" << YAML::Value << spec.name;
  out << YAML::Key << "workers" << YAML::Value << spec.workers;
  out << YAML::Key << "images" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "worker" << YAML::Value << spec.worker_image;
  out << YAML::Key << "notebook" << YAML::Value << spec.notebook_image;
  out << YAML::EndMap;
  out << YAML::Key << "resources" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, resources] :
       {std::pair{"worker", spec.worker_resources}, std::pair{"notebook", spec.notebook_resources}}) {
    out << YAML::Key << name << YAML::Value << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "cpus" << YAML::Value << resources.cpus;
    out << YAML::Key << "mem" << YAML::Value << resources.mem_mb;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  out << YAML::Key << "network" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << spec.network.name;
  out << YAML::Key << "subnet" << YAML::Value << spec.network.subnet;
  out << YAML::EndMap;
  out << YAML::Key << "notebook" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "port" << YAML::Value << spec.notebook_host_port;
  out << YAML::EndMap;
  if (!spec.env.empty()) {
    out << YAML::Key << "env" << YAML::Value << YAML::BeginMap;
    for (const auto& [key, value] : spec.env) out << YAML::Key << key << YAML::Value << value;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace coral::spec
