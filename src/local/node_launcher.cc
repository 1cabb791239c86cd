#include "local/node_launcher.h"

#include <fmt/format.h>

#include "core/desired_state.h"
#include "local/readiness.h"
#include "os/atomic_file.h"

namespace coral::local {
namespace {

constexpr auto kNotebookReadyTimeout = std::chrono::seconds(90);
constexpr auto kSshReadyTimeout = std::chrono::seconds(30);

std::string label(const docker::ContainerInfo& c, const std::string& key) {
  auto it = c.labels.find(key);
  return it == c.labels.end() ? "" : it->second;
}

// Published ports, so that an adopted instance still reports them.
constexpr const char* kLabelPorts = "coral.ports";

std::string formatPorts(const std::vector<core::PortMapping>& ports) {
  std::string text;
  for (const auto& p : ports) {
    text += (text.empty() ? "" : ",") + std::to_string(p.host) + ":" + std::to_string(p.container);
  }
  return text;
}

std::vector<core::PortMapping> parsePorts(const std::string& text) {
  std::vector<core::PortMapping> ports;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    auto colon = item.find(':');
    if (colon != std::string::npos) {
      ports.push_back({std::atoi(item.substr(0, colon).c_str()), std::atoi(item.substr(colon + 1).c_str())});
    }
    start = end + 1;
  }
  return ports;
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

core::Instance instanceFromLabels(const docker::ContainerInfo& container) {
  core::Instance instance;
  instance.id = container.id;
  instance.node = label(container, core::kLabelNode);
  instance.spec_hash = label(container, core::kLabelSpecHash);
  std::string generation = label(container, core::kLabelGeneration);
  instance.generation = generation.empty() ? 0 : std::atoi(generation.c_str());
  return instance;
}

Result<core::Instance> NodeLauncher::launch(
    const core::LaunchRequest& request,
    const std::function<void(const core::Instance&)>& progress,
    const std::function<bool()>& cancelled) {
  const core::NodeSpec& node = request.node;
  auto image = ctx_.docker.inspectImage(node.image);
  if (!image) return image.error();
  if (!image->has_value()) {
    return makeError(fmt::format("image {} of node {} is not on this machine; build it with `make "
                                 "images` (or images/build.sh), or set `images.{}` in the spec",
                                 node.image, node.name, core::roleName(node.role)));
  }

  docker::ContainerSpec spec;
  spec.name = containerName(node.name);
  spec.image = node.image;
  spec.hostname = node.hostname;
  spec.cmd = node.command;
  spec.env = node.env;
  spec.labels = node.labels;
  spec.labels[core::kLabelSpecHash] = node.spec_hash;
  spec.labels[core::kLabelGeneration] = std::to_string(request.generation);
  spec.labels[kLabelPorts] = formatPorts(node.ports);
  spec.cpus = node.cpus;
  spec.memory_bytes = node.mem_mb * 1024 * 1024;
  for (const auto& file : node.files) spec.binds.push_back({file.host_path, file.container_path, true});

  auto id = ctx_.docker.createContainer(spec);
  if (!id) {
    // A container of ours left behind by a crash holds the name: it is not
    // managed any more (the core saw no instance), so replace it.
    auto stale = ctx_.docker.findContainer(spec.name);
    if (stale && stale->has_value() && label(**stale, core::kLabelCluster) == ctx_.cluster) {
      (void)remove((*stale)->id);
      id = ctx_.docker.createContainer(spec);
    }
    if (!id) return id.error();
  }

  core::Instance instance;
  instance.id = *id;
  instance.node = node.name;
  instance.spec_hash = node.spec_hash;
  instance.generation = request.generation;
  instance.host = ctx_.hostname;
  instance.phase = core::Phase::Launching;
  instance.message = "container created";
  progress(instance);

  auto fail = [&](const std::string& what) -> Result<core::Instance> {
    (void)remove(instance.id);
    return makeError(fmt::format("node {}: {}", node.name, what));
  };
  auto stopped = [&] { return cancelled && cancelled(); };
  const std::string cancelled_message = "the launch was cancelled (the node is being removed)";

  if (stopped()) return fail(cancelled_message);
  if (auto started = ctx_.docker.startContainer(instance.id); !started) return fail(started.message());
  auto info = ctx_.docker.inspectContainer(instance.id);
  if (!info) return fail(info.message());
  if (!info->state.running) {
    auto logs = ctx_.docker.logs(instance.id, 20);
    return fail(fmt::format("container exited at once with code {}: {}", info->state.exit_code,
                            logs ? trim(*logs) : logs.message()));
  }

  if (stopped()) return fail(cancelled_message);
  instance.phase = core::Phase::Attaching;
  instance.message = "joining network " + ctx_.network.name;
  progress(instance);
  auto ip = attach(instance.id, info->state.pid, node.ports);
  if (!ip) return fail(ip.message());
  instance.ip = *ip;
  instance.ports = node.ports;

  if (stopped()) return fail(cancelled_message);
  instance.phase = core::Phase::Starting;
  instance.message = "waiting until ready";
  progress(instance);
  if (auto ready = waitReady(node, instance.ip, cancelled); !ready) {
    if (stopped()) return fail(cancelled_message);
    auto logs = ctx_.docker.logs(instance.id, 20);
    return fail(fmt::format("{}; last log lines:\n{}", ready.message(),
                            logs ? trim(*logs) : logs.message()));
  }
  instance.phase = core::Phase::Running;
  instance.message = "";
  return instance;
}

Result<std::string> NodeLauncher::attach(const std::string& container_id, int pid,
                                         const std::vector<core::PortMapping>& ports) {
  std::vector<cni::PortMapping> mappings;
  for (const auto& port : ports) mappings.push_back({port.host, port.container, "tcp", ""});
  auto attachment = ctx_.attacher.attach(ctx_.network, container_id, pid, mappings);
  if (!attachment) return attachment.error();
  return attachment->ip;
}

Status NodeLauncher::waitReady(const core::NodeSpec& node, const std::string& ip,
                               const std::function<bool()>& cancelled) {
  if (!node.ready_probe) return waitForTcp(ip, 22, kSshReadyTimeout, cancelled);
  const core::HttpProbe& probe = *node.ready_probe;
  std::string token;
  if (!probe.token_file.empty()) {
    auto text = os::readFile(probe.token_file);
    if (!text) return text.error();
    token = trim(*text);
  }
  auto ready =
      waitForAuthenticatedHttp(ip, probe.port, probe.path, token, kNotebookReadyTimeout, cancelled);
  if (!ready) return ready;
  // The published port is what users open; prove the host side answers too.
  for (const auto& port : node.ports) {
    auto answer = httpGet("127.0.0.1", port.host, "/api", "", std::chrono::seconds(5));
    if (!answer || answer->status != 200) {
      return makeError(fmt::format(
          "the notebook answers on {}:{} but not on host port {} ({}); check that nothing else "
          "redirects that port (iptables -t nat -S)",
          ip, probe.port, port.host, answer ? std::to_string(answer->status) : answer.message()));
    }
  }
  return okStatus();
}

Result<core::Instance> NodeLauncher::adopt(const docker::ContainerInfo& container) {
  core::Instance instance = instanceFromLabels(container);
  instance.host = ctx_.hostname;
  if (!container.state.running) {
    instance.phase = core::Phase::Failed;
    instance.message = fmt::format("found exited (code {})", container.state.exit_code);
    return instance;
  }
  auto cached = ctx_.attacher.runtime().cachedResult(ctx_.network.name, container.id, "eth0");
  if (!cached) return cached.error();
  if (!cached->has_value() || !(*cached)->firstIpv4()) {
    // Running but never attached (the daemon died in between): it cannot be
    // trusted to match its spec, so the core replaces it.
    instance.phase = core::Phase::Failed;
    instance.message = "found running without a network attachment";
    return instance;
  }
  instance.ip = *(*cached)->firstIpv4();
  instance.ports = parsePorts(label(container, kLabelPorts));
  instance.phase = core::Phase::Running;
  return instance;
}

Status NodeLauncher::remove(const std::string& container_id) {
  auto detached = ctx_.attacher.detach(ctx_.network, container_id);
  auto removed = ctx_.docker.removeContainer(container_id, true);
  if (!detached) return detached;
  return removed;
}

}  // namespace coral::local
