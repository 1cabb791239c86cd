#include "spec/spec_parser.h"

#include <arpa/inet.h>

#include <regex>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "os/atomic_file.h"

namespace coral::spec {
namespace {

// Thrown only inside this file, turned into an Error at parseSpec's boundary.
struct SpecError {
  std::string message;
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) throw SpecError{fmt::format("{}: {}", file_, message)};
    throw SpecError{fmt::format("{}:{}:{}: {}", file_, mark.line + 1, mark.column + 1, message)};
  }

  void expectMap(const YAML::Node& node, const std::string& field) const {
    if (!node.IsMap()) fail(node, fmt::format("`{}` must be a mapping", field));
  }

  void onlyKeys(const YAML::Node& node, const std::string& field,
                const std::set<std::string>& allowed) const {
    for (const auto& entry : node) {
      const std::string key = entry.first.as<std::string>();
      if (allowed.count(key)) continue;
      std::string known;
      for (const auto& k : allowed) known += (known.empty() ? "" : ", ") + k;
      fail(entry.first, fmt::format("unknown key `{}{}`; known keys here: {}",
                                    field.empty() ? "" : field + ".", key, known));
    }
  }

  std::string string(const YAML::Node& node, const std::string& field) const {
    if (!node.IsScalar()) fail(node, fmt::format("`{}` must be a string", field));
    return node.Scalar();
  }

  int integer(const YAML::Node& node, const std::string& field, int min, int max) const {
    int value = 0;
    if (!node.IsScalar() || !YAML::convert<int>::decode(node, value)) {
      fail(node, fmt::format("`{}` must be an integer, got `{}`", field, scalarText(node)));
    }
    if (value < min || value > max) {
      fail(node, fmt::format("`{}` is {}; it must be between {} and {}", field, value, min, max));
    }
    return value;
  }

  double number(const YAML::Node& node, const std::string& field, double min) const {
    double value = 0;
    if (!node.IsScalar() || !YAML::convert<double>::decode(node, value)) {
      fail(node, fmt::format("`{}` must be a number, got `{}`", field, scalarText(node)));
    }
    if (value < min) fail(node, fmt::format("`{}` is {}; it must be at least {}", field, value, min));
    return value;
  }

 private:
  static std::string scalarText(const YAML::Node& node) {
    return node.IsScalar() ? node.Scalar() : (node.IsMap() ? "a mapping" : "a list");
  }
  std::string file_;
};

void readResources(const Reader& r, const YAML::Node& node, const std::string& field,
                   core::NodeResources& out) {
  r.expectMap(node, field);
  r.onlyKeys(node, field, {"cpus", "mem"});
  if (node["cpus"]) out.cpus = r.number(node["cpus"], field + ".cpus", 0.01);
  if (node["mem"]) out.mem_mb = r.integer(node["mem"], field + ".mem", 16, 1 << 24);
}

core::ClusterSpec read(const Reader& r, const YAML::Node& root, const std::string& file) {
  core::ClusterSpec spec;
  spec.source = file;
  if (root.IsNull()) return spec;  // an empty file means the defaults
  r.expectMap(root, "spec");
  r.onlyKeys(root, "", {"cluster", "workers", "images", "resources", "network", "notebook", "env",
                        "policies"});

  if (auto n = root["cluster"]) {
    spec.name = r.string(n, "cluster");
    static const std::regex kName("[a-z][a-z0-9-]{0,19}");
    if (!std::regex_match(spec.name, kName)) {
      r.fail(n, fmt::format("`cluster` \"{}\" is not a valid cluster name: use 1-20 lowercase "
                            "letters, digits or '-', starting with a letter",
                            spec.name));
    }
  }
  if (auto n = root["workers"]) spec.workers = r.integer(n, "workers", 1, 200);
  if (auto n = root["images"]) {
    r.expectMap(n, "images");
    r.onlyKeys(n, "images", {"worker", "notebook"});
    if (n["worker"]) spec.worker_image = r.string(n["worker"], "images.worker");
    if (n["notebook"]) spec.notebook_image = r.string(n["notebook"], "images.notebook");
  }
  if (auto n = root["resources"]) {
    r.expectMap(n, "resources");
    r.onlyKeys(n, "resources", {"worker", "notebook"});
    if (n["worker"]) readResources(r, n["worker"], "resources.worker", spec.worker_resources);
    if (n["notebook"]) readResources(r, n["notebook"], "resources.notebook", spec.notebook_resources);
  }
  if (auto n = root["network"]) {
    r.expectMap(n, "network");
    r.onlyKeys(n, "network", {"name", "subnet"});
    if (n["name"]) {
      spec.network.name = r.string(n["name"], "network.name");
      static const std::regex kNet("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
      if (!std::regex_match(spec.network.name, kNet)) {
        r.fail(n["name"], fmt::format("`network.name` \"{}\" is not a valid CNI network name",
                                      spec.network.name));
      }
    }
    if (n["subnet"]) {
      spec.network.subnet = r.string(n["subnet"], "network.subnet");
      std::string why;
      if (!isValidIpv4Cidr(spec.network.subnet, &why)) {
        r.fail(n["subnet"], fmt::format("`network.subnet` \"{}\" is not a valid IPv4 CIDR: {}",
                                        spec.network.subnet, why));
      }
    }
  }
  if (auto n = root["notebook"]) {
    r.expectMap(n, "notebook");
    r.onlyKeys(n, "notebook", {"port"});
    if (n["port"]) spec.notebook_host_port = r.integer(n["port"], "notebook.port", 1, 65535);
  }
  if (auto n = root["env"]) {
    r.expectMap(n, "env");
    static const std::regex kVar("[A-Za-z_][A-Za-z0-9_]*");
    for (const auto& entry : n) {
      std::string key = entry.first.as<std::string>();
      if (!std::regex_match(key, kVar)) {
        r.fail(entry.first, fmt::format("`env.{}` is not a valid environment variable name", key));
      }
      spec.env[key] = r.string(entry.second, "env." + key);
    }
  }
  return spec;
}

}  // namespace

bool isValidIpv4Cidr(const std::string& cidr, std::string* why) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos) {
    *why = "missing /prefix (e.g. 10.213.0.0/24)";
    return false;
  }
  in_addr addr{};
  if (::inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &addr) != 1) {
    *why = "the address part is not a dotted-quad IPv4 address";
    return false;
  }
  const std::string prefix_text = cidr.substr(slash + 1);
  static const std::regex kDigits("[0-9]{1,2}");
  if (!std::regex_match(prefix_text, kDigits) || std::stoi(prefix_text) > 32) {
    *why = "the prefix length must be 0-32";
    return false;
  }
  const int prefix = std::stoi(prefix_text);
  if (prefix < 8 || prefix > 29) {
    *why = "the prefix length must be between /8 and /29 to hold a cluster";
    return false;
  }
  const uint32_t host = ntohl(addr.s_addr);
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  if ((host & ~mask) != 0) {
    in_addr network{htonl(host & mask)};
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &network, text, sizeof text);
    *why = fmt::format("host bits are set; did you mean {}/{}?", text, prefix);
    return false;
  }
  return true;
}

Result<core::ClusterSpec> parseSpec(const std::string& yaml_text, const std::string& file_name) {
  Reader reader(file_name);
  try {
    YAML::Node root = YAML::Load(yaml_text);
    return read(reader, root, file_name);
  } catch (const SpecError& e) {
    return makeError(e.message);
  } catch (const YAML::Exception& e) {
    return makeError(fmt::format("{}:{}:{}: not valid YAML: {}", file_name, e.mark.line + 1,
                                 e.mark.column + 1, e.msg));
  }
}

Result<core::ClusterSpec> loadSpecFile(const std::string& path) {
  auto text = os::readFile(path);
  if (!text) {
    return makeError(fmt::format("cannot read the cluster spec: {}; pass an existing file with -f",
                                 text.message()));
  }
  return parseSpec(*text, path);
}

}  // namespace coral::spec
