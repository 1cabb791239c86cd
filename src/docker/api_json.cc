#include "docker/api_json.h"

#include <fmt/format.h>

#include <cmath>

namespace coral::docker {
namespace {

using nlohmann::json;

// Field readers that treat absent, null or mistyped fields as "not set".
std::string stringField(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t intField(const json& object, const char* key) {
  if (!object.is_object()) return 0;
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : 0;
}

bool boolField(const json& object, const char* key) {
  if (!object.is_object()) return false;
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

const json& objectField(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it != object.end() ? *it : kNull;
}

std::map<std::string, std::string> stringMap(const json& object) {
  std::map<std::string, std::string> out;
  if (!object.is_object()) return out;
  for (const auto& [key, value] : object.items()) {
    if (value.is_string()) out[key] = value.get<std::string>();
  }
  return out;
}

std::string withoutLeadingSlash(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

}  // namespace

std::string bindString(const Mount& mount) {
  return fmt::format("{}:{}:{}", mount.source, mount.target, mount.read_only ? "ro" : "rw");
}

json containerCreateBody(const ContainerSpec& spec) {
  json body = json::object();
  body["Image"] = spec.image;
  if (!spec.hostname.empty()) body["Hostname"] = spec.hostname;
  if (!spec.entrypoint.empty()) body["Entrypoint"] = spec.entrypoint;
  if (!spec.cmd.empty()) body["Cmd"] = spec.cmd;
  json env = json::array();
  for (const auto& [key, value] : spec.env) env.push_back(key + "=" + value);
  if (!env.empty()) body["Env"] = env;
  body["Labels"] = spec.labels;
  if (!spec.mac_address.empty()) body["MacAddress"] = spec.mac_address;
  // Coral never attaches: output is read through logs, commands through exec.
  body["Tty"] = false;
  body["OpenStdin"] = false;
  body["AttachStdin"] = false;
  body["AttachStdout"] = false;
  body["AttachStderr"] = false;

  json host = json::object();
  host["NetworkMode"] = spec.network_mode;
  host["Init"] = spec.init;
  if (!spec.binds.empty()) {
    json binds = json::array();
    for (const auto& mount : spec.binds) binds.push_back(bindString(mount));
    host["Binds"] = binds;
  }
  if (!spec.cap_add.empty()) host["CapAdd"] = spec.cap_add;
  if (spec.cpus > 0) host["NanoCpus"] = static_cast<int64_t>(std::llround(spec.cpus * 1e9));
  if (spec.memory_bytes > 0) host["Memory"] = spec.memory_bytes;
  body["HostConfig"] = host;
  return body;
}

json labelFilter(const std::map<std::string, std::string>& labels) {
  json values = json::array();
  for (const auto& [key, value] : labels) values.push_back(value.empty() ? key : key + "=" + value);
  json filter = json::object();
  if (!values.empty()) filter["label"] = values;
  return filter;
}

Result<ContainerInfo> parseContainerInspect(const json& inspect) {
  if (!inspect.is_object() || stringField(inspect, "Id").empty()) {
    return makeError(
        "the Docker daemon's container inspect reply has no \"Id\"; Coral expects API v1.41 — "
        "check the daemon version with `docker version`");
  }
  ContainerInfo info;
  info.id = stringField(inspect, "Id");
  info.name = withoutLeadingSlash(stringField(inspect, "Name"));
  const json& config = objectField(inspect, "Config");
  info.image = stringField(config, "Image");
  if (info.image.empty()) info.image = stringField(inspect, "Image");
  info.labels = stringMap(objectField(config, "Labels"));
  const json& state = objectField(inspect, "State");
  info.state.status = stringField(state, "Status");
  info.state.running = boolField(state, "Running");
  info.state.pid = static_cast<int>(intField(state, "Pid"));
  info.state.exit_code = static_cast<int>(intField(state, "ExitCode"));
  info.state.error = stringField(state, "Error");
  info.state.started_at = stringField(state, "StartedAt");
  info.state.finished_at = stringField(state, "FinishedAt");
  return info;
}

Result<std::vector<ContainerInfo>> parseContainerList(const json& list) {
  if (!list.is_array()) {
    return makeError(
        "the Docker daemon's container list reply is not a JSON array; Coral expects API v1.41 — "
        "check the daemon version with `docker version`");
  }
  std::vector<ContainerInfo> containers;
  for (const auto& entry : list) {
    ContainerInfo info;
    info.id = stringField(entry, "Id");
    const json& names = objectField(entry, "Names");
    if (names.is_array() && !names.empty() && names[0].is_string()) {
      info.name = withoutLeadingSlash(names[0].get<std::string>());
    }
    info.image = stringField(entry, "Image");
    info.labels = stringMap(objectField(entry, "Labels"));
    // The list carries only the state word; pid and exit code need an inspect.
    info.state.status = stringField(entry, "State");
    info.state.running = info.state.status == "running";
    containers.push_back(std::move(info));
  }
  return containers;
}

Result<ImageInfo> parseImageInspect(const json& inspect) {
  if (!inspect.is_object() || stringField(inspect, "Id").empty()) {
    return makeError(
        "the Docker daemon's image inspect reply has no \"Id\"; Coral expects API v1.41 — check "
        "the daemon version with `docker version`");
  }
  ImageInfo info;
  info.id = stringField(inspect, "Id");
  const json& tags = objectField(inspect, "RepoTags");
  if (tags.is_array()) {
    for (const auto& tag : tags) {
      if (tag.is_string()) info.tags.push_back(tag.get<std::string>());
    }
  }
  info.labels = stringMap(objectField(objectField(inspect, "Config"), "Labels"));
  info.size = intField(inspect, "Size");
  return info;
}

}  // namespace coral::docker
