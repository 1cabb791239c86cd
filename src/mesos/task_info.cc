#include "mesos/task_info.h"

#include <charconv>

namespace coral::mesos {

Result<Containerizer> parseContainerizer(std::string_view flag) {
  if (flag == "docker") return Containerizer::kDocker;
  if (flag == "mesos") return Containerizer::kMesos;
  return makeError("--containerizer '" + std::string(flag) + "': use 'docker' or 'mesos'");
}

namespace {

// Master rule (validation.cpp): non-empty, at most NAME_MAX, not "." or
// "..", no '/', '\\' or control characters.
Status validateIdPart(std::string_view what, std::string_view value) {
  if (value.empty()) return makeError(std::string(what) + " is empty");
  if (value == "." || value == "..")
    return makeError(std::string(what) + " may not be '.' or '..'");
  for (const char c : value) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return makeError(std::string(what) + " '" + std::string(value) +
                       "' contains '/', '\\' or a control character, which Mesos IDs forbid");
    }
  }
  return okStatus();
}

void addLabels(v1::Labels* labels, const NodeLaunchSpec& spec) {
  auto add = [&](const std::string& key, const std::string& value) {
    auto* label = labels->add_labels();
    label->set_key(key);
    label->set_value(value);
  };
  add("cluster", spec.cluster);
  add("node", spec.node);
  add("role", spec.role);
  for (const auto& [key, value] : spec.extraLabels) add(key, value);
}

}  // namespace

Result<std::string> makeTaskId(std::string_view node, std::uint64_t generation) {
  if (auto valid = validateIdPart("node name", node); !valid) return valid.error();
  std::string id = std::string(node) + "." + std::to_string(generation);
  if (id.size() > 255) {
    return makeError("task ID '" + id + "' is longer than 255 characters; shorten the node name");
  }
  return id;
}

std::optional<ParsedTaskId> parseTaskId(std::string_view taskId) {
  const std::size_t dot = taskId.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == taskId.size()) return std::nullopt;
  ParsedTaskId parsed;
  const std::string_view number = taskId.substr(dot + 1);
  const auto [ptr, ec] =
      std::from_chars(number.data(), number.data() + number.size(), parsed.generation);
  if (ec != std::errc() || ptr != number.data() + number.size()) return std::nullopt;
  parsed.node = std::string(taskId.substr(0, dot));
  return parsed;
}

Result<v1::TaskInfo> buildNodeTask(const NodeLaunchSpec& spec, OfferResources& offer) {
  auto taskId = makeTaskId(spec.node, spec.generation);
  if (!taskId) return taskId.error();
  if (spec.image.empty()) {
    return makeError("node " + spec.node + ": no container image given; set the image to run");
  }
  if (spec.network.empty()) {
    return makeError("node " + spec.node +
                     ": no network name given; set the Calico network "
                     "(Docker network or CNI network name)");
  }
  for (const auto& mapping : spec.ports) {
    if (mapping.containerPort == 0 || mapping.containerPort > 65535 || mapping.hostPort > 65535) {
      return makeError("node " + spec.node + ": port mapping " + std::to_string(mapping.hostPort) +
                       "->" + std::to_string(mapping.containerPort) + " is out of range");
    }
    if (mapping.protocol != "tcp" && mapping.protocol != "udp") {
      return makeError("node " + spec.node + ": port protocol '" + mapping.protocol +
                       "' is not tcp or udp");
    }
  }
  if (spec.cpus <= 0 || spec.memMb <= 0) {
    return makeError("node " + spec.node +
                     ": cpus and mem must be positive (the master "
                     "rejects tasks that use no resources)");
  }

  ResourceRequest request{spec.cpus, spec.memMb, {}};
  for (const auto& mapping : spec.ports) request.hostPorts.push_back(mapping.hostPort);
  auto taken = offer.take(request);
  if (!taken) return makeError("node " + spec.node + ": " + taken.message());

  v1::TaskInfo task;
  task.set_name(spec.cluster.empty() ? spec.node : spec.cluster + "/" + spec.node);
  task.mutable_task_id()->set_value(*taskId);
  *task.mutable_agent_id() = offer.offer().agent_id();
  for (auto& resource : taken->resources) *task.add_resources() = std::move(resource);
  addLabels(task.mutable_labels(), spec);

  auto* command = task.mutable_command();
  // shell=false everywhere: no /bin/sh in the image is needed and the argv
  // reaches the program unchanged.
  command->set_shell(false);
  if (!spec.argv.empty()) {
    command->set_value(spec.argv.front());
    const bool mesos = spec.containerizer == Containerizer::kMesos;
    // Docker: `docker run <image> value args...`, so arguments = argv[1..].
    // Mesos: execvp(value, arguments), so arguments[0] must be argv[0].
    for (std::size_t i = mesos ? 0 : 1; i < spec.argv.size(); ++i)
      command->add_arguments(spec.argv[i]);
  }
  for (const auto& [name, value] : spec.environment) {
    auto* variable = command->mutable_environment()->add_variables();
    variable->set_name(name);
    variable->set_value(value);
  }

  if (spec.health) {
    auto* check = task.mutable_health_check();
    check->set_type(v1::HealthCheck::HTTP);
    check->mutable_http()->set_scheme("http");
    check->mutable_http()->set_port(spec.health->port);
    check->mutable_http()->set_path(spec.health->path);
    check->set_delay_seconds(1);
    check->set_interval_seconds(3);
    check->set_timeout_seconds(5);
    // Jupyter needs a while on a cold agent; after that, 5 failures in a row
    // (15 s) make Mesos kill the task, and Coral relaunches it.
    check->set_grace_period_seconds(180);
    check->set_consecutive_failures(5);
  }

  auto* container = task.mutable_container();
  if (!spec.hostname.empty()) container->set_hostname(spec.hostname);
  auto* network = container->add_network_infos();
  network->set_name(spec.network);
  addLabels(network->mutable_labels(), spec);
  if (spec.containerizer == Containerizer::kDocker) {
    container->set_type(v1::ContainerInfo::DOCKER);
    auto* docker = container->mutable_docker();
    docker->set_image(spec.image);
    // USER + exactly one named network_infos entry => `docker run --net <name>`.
    docker->set_network(v1::ContainerInfo::DockerInfo::USER);
    docker->set_force_pull_image(spec.forcePullImage);
    if (spec.netAdmin) {
      auto* parameter = docker->add_parameters();
      parameter->set_key("cap-add");
      parameter->set_value("NET_ADMIN");
    }
    if (spec.publishDockerPorts) {
      for (std::size_t i = 0; i < spec.ports.size(); ++i) {
        auto* mapping = docker->add_port_mappings();
        mapping->set_host_port(taken->hostPorts[i]);
        mapping->set_container_port(spec.ports[i].containerPort);
        mapping->set_protocol(spec.ports[i].protocol);
      }
    }
  } else {
    container->set_type(v1::ContainerInfo::MESOS);
    auto* image = container->mutable_mesos()->mutable_image();
    image->set_type(v1::Image::DOCKER);
    image->mutable_docker()->set_name(spec.image);
    if (spec.forcePullImage) image->set_cached(false);
    // The CNI port-mapper plugin turns these into DNAT rules.
    for (std::size_t i = 0; i < spec.ports.size(); ++i) {
      auto* mapping = network->add_port_mappings();
      mapping->set_host_port(taken->hostPorts[i]);
      mapping->set_container_port(spec.ports[i].containerPort);
      mapping->set_protocol(spec.ports[i].protocol);
    }
  }
  return task;
}

std::vector<std::string> containerIps(const v1::TaskStatus& status, std::string_view network) {
  std::vector<std::string> v4;
  std::vector<std::string> v6;
  if (!status.has_container_status()) return v4;
  for (const auto& info : status.container_status().network_infos()) {
    if (!network.empty() && info.name() != network) continue;
    for (const auto& address : info.ip_addresses()) {
      if (!address.has_ip_address() || address.ip_address().empty()) continue;
      (address.protocol() == v1::NetworkInfo::IPv6 ? v6 : v4).push_back(address.ip_address());
    }
  }
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

}  // namespace coral::mesos
