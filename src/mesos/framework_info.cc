#include "mesos/framework_info.h"

#include <cmath>
#include <set>

#include "os/atomic_file.h"

namespace coral::mesos {

namespace {

// Mesos' role name rules (roles.cpp): not empty, not "." or "..", no '/'
// at the start, no whitespace or control characters, no leading '-'.
Status validateRole(const std::string& role) {
  if (role.empty()) return makeError("framework role is empty; give a role name such as 'coral'");
  if (role == "." || role == "..") return makeError("framework role '" + role + "' is invalid");
  if (role.front() == '-' || role.front() == '/') {
    return makeError("framework role '" + role + "' may not start with '-' or '/'");
  }
  for (const char c : role) {
    if (c <= ' ' || c == 0x7f || c == '\\') {
      return makeError("framework role '" + role +
                       "' contains whitespace, a backslash or a control character");
    }
  }
  return okStatus();
}

}  // namespace

Result<v1::FrameworkInfo> buildFrameworkInfo(const FrameworkConfig& config) {
  if (config.user.empty()) {
    return makeError(
        "framework user is empty: the HTTP API does not fill it in; set the Unix "
        "user the tasks run as (e.g. --user root)");
  }
  if (config.name.empty()) return makeError("framework name is empty; set a name for the web UI");
  if (config.roles.empty()) {
    return makeError(
        "framework has no role: a framework without roles gets no offers; set at "
        "least one (e.g. --role '*')");
  }
  std::set<std::string> seen;
  for (const auto& role : config.roles) {
    if (auto valid = validateRole(role); !valid) return valid.error();
    if (!seen.insert(role).second) {
      return makeError("framework role '" + role +
                       "' is listed twice; the master rejects "
                       "duplicate roles");
    }
  }
  if (!std::isfinite(config.failoverTimeoutSeconds) || config.failoverTimeoutSeconds <= 0) {
    return makeError("failover timeout " + std::to_string(config.failoverTimeoutSeconds) +
                     " s: it must be a positive number of seconds, otherwise the master kills "
                     "every task as soon as the scheduler disconnects");
  }
  v1::FrameworkInfo info;
  info.set_user(config.user);
  info.set_name(config.name);
  for (const auto& role : config.roles) info.add_roles(role);
  info.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  for (const auto type : config.extraCapabilities) {
    if (type == v1::FrameworkInfo::Capability::MULTI_ROLE) continue;
    info.add_capabilities()->set_type(type);
  }
  info.set_checkpoint(true);
  info.set_failover_timeout(config.failoverTimeoutSeconds);
  if (config.principal) info.set_principal(*config.principal);
  if (!config.hostname.empty()) info.set_hostname(config.hostname);
  if (!config.webuiUrl.empty()) info.set_webui_url(config.webuiUrl);
  return info;
}

std::string base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string Credentials::authorizationHeader() const {
  return "Basic " + base64Encode(principal + ":" + secret);
}

Result<Credentials> loadCredentials(const std::string& principal, const std::string& secretFile) {
  if (principal.empty()) {
    return makeError(
        "framework principal is empty; set --principal to the principal in the "
        "master's --credentials file");
  }
  if (principal.find(':') != std::string::npos) {
    return makeError("framework principal '" + principal +
                     "' contains ':'; Mesos' basic authenticator splits on ':' so it can never "
                     "authenticate; choose a principal without ':'");
  }
  auto content = os::readFile(secretFile);
  if (!content) {
    return makeError("framework secret file " + secretFile + ": " + content.message() +
                     "; create it with the secret of principal '" + principal + "'");
  }
  std::string secret = *content;
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) {
    return makeError("framework secret file " + secretFile +
                     " is empty; put the secret of "
                     "principal '" +
                     principal + "' in it");
  }
  if (secret.find(':') != std::string::npos) {
    return makeError("framework secret in " + secretFile +
                     " contains ':'; Mesos' basic authenticator splits on ':' so it can never "
                     "authenticate; change the secret on the master and here");
  }
  return Credentials{principal, secret};
}

}  // namespace coral::mesos
