#include "mesos/backend_settings.h"

#include <boost/asio/ip/address_v4.hpp>
#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "os/atomic_file.h"

namespace coral::mesos {

Status BackendSettings::validate() const {
  auto options = backendOptions(*this);
  if (!options) return options.error();
  if (auto spec = parseMasterSpec(master); !spec) return makeError("--master: " + spec.message());
  if (principal && !secretFile.empty()) {
    if (auto credentials = loadCredentials(*principal, secretFile); !credentials)
      return credentials.error();
  }
  if (auto api = parseApiAddress(apiAddress, "127.0.0.1"); !api) return api.error();
  if (!calicoEtcd.empty() && calicoEtcd.rfind("http://", 0) != 0) {
    return makeError("--calico-etcd '" + calicoEtcd +
                     "': give etcd's client URL, e.g. http://10.0.0.5:2379 (https is not supported)");
  }
  if (!principal && !secretFile.empty())
    return makeError("--secret-file needs --principal (the secret authenticates a principal)");
  return okStatus();
}

Result<ApiAddress> parseApiAddress(const std::string& text, const std::string& fallbackIp) {
  ApiAddress address{fallbackIp, kDefaultApiPort};
  if (text.empty()) return address;
  std::string ip = text;
  if (auto colon = text.rfind(':'); colon != std::string::npos) {
    ip = text.substr(0, colon);
    const std::string port = text.substr(colon + 1);
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return makeError("--api-address '" + text + "': the port must be a number from 1 to 65535");
    }
    address.port = static_cast<uint16_t>(value);
  }
  boost::system::error_code ec;
  auto parsed = boost::asio::ip::make_address_v4(ip, ec);
  if (ec) {
    return makeError("--api-address '" + text +
                     "': give this machine's IPv4 address as the agents' tasks reach it, e.g. "
                     "10.0.0.2:7480");
  }
  if (parsed.is_unspecified()) {
    return makeError("--api-address '" + text +
                     "': 0.0.0.0 would expose the API on every interface; name one address");
  }
  address.ip = ip;
  return address;
}

std::string settingsPath(const std::string& stateDir) { return stateDir + "/mesos.json"; }

Status saveSettings(const std::string& stateDir, const BackendSettings& s) {
  nlohmann::json doc{{"master", s.master},
                     {"containerizer", s.containerizer},
                     {"content_type", s.contentType},
                     {"role", s.role},
                     {"user", s.user},
                     {"secret_file", s.secretFile},
                     {"failover_timeout", s.failoverTimeoutSeconds},
                     {"api_address", s.apiAddress},
                     {"spread", s.spread},
                     {"calico_etcd", s.calicoEtcd}};
  doc["principal"] = s.principal ? nlohmann::json(*s.principal) : nlohmann::json(nullptr);
  if (auto made = os::makeDirectories(stateDir, 0700); !made) return made;
  return os::writeFileAtomically(settingsPath(stateDir), doc.dump(2) + "\n", 0600);
}

Result<BackendSettings> loadSettings(const std::string& stateDir) {
  const std::string path = settingsPath(stateDir);
  if (!std::filesystem::exists(path))
    return makeError(path + " is missing: start the cluster with `coral up --backend mesos --master URL`");
  auto text = os::readFile(path);
  if (!text) return text.error();
  auto doc = nlohmann::json::parse(*text, nullptr, false);
  if (!doc.is_object()) return makeError(path + " is not a JSON object");
  BackendSettings s;
  try {
    s.master = doc.value("master", "");
    s.containerizer = doc.value("containerizer", s.containerizer);
    s.contentType = doc.value("content_type", s.contentType);
    s.role = doc.value("role", s.role);
    s.user = doc.value("user", s.user);
    s.secretFile = doc.value("secret_file", "");
    s.failoverTimeoutSeconds = doc.value("failover_timeout", s.failoverTimeoutSeconds);
    s.apiAddress = doc.value("api_address", "");
    s.spread = doc.value("spread", true);
    s.calicoEtcd = doc.value("calico_etcd", "");
    if (doc.contains("principal") && doc["principal"].is_string())
      s.principal = doc["principal"].get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    return makeError(path + ": " + e.what());
  }
  if (s.master.empty()) return makeError(path + " names no master");
  return s;
}

Result<MesosBackendOptions> backendOptions(const BackendSettings& s) {
  MesosBackendOptions options;
  options.master = s.master;
  auto containerizer = parseContainerizer(s.containerizer);
  if (!containerizer) return containerizer.error();
  options.containerizer = *containerizer;
  auto contentType = parseContentTypeFlag(s.contentType);
  if (!contentType) return contentType.error();
  options.contentType = *contentType;
  if (s.role.empty()) return makeError("--role is empty");
  options.roles = {s.role};
  options.user = s.user;
  if (!(s.failoverTimeoutSeconds > 0))
    return makeError("--failover-timeout must be positive (0 kills the tasks on every disconnect)");
  options.failoverTimeoutSeconds = s.failoverTimeoutSeconds;
  options.principal = s.principal;
  options.secretFile = s.secretFile;
  return options;
}

}  // namespace coral::mesos
