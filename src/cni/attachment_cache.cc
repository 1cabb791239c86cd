#include "cni/attachment_cache.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "os/atomic_file.h"

namespace coral::cni {
namespace {

namespace fs = std::filesystem;

constexpr const char* kKind = "coralCniCacheV1";

std::string resultsDir(const std::string& cache_dir) { return cache_dir + "/results"; }

nlohmann::json toJson(const CacheRecord& r) {
  nlohmann::json args = nlohmann::json::array();
  for (const auto& [k, v] : r.cni_args) args.push_back({k, v});
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& m : r.port_mappings) ports.push_back(portMappingToJson(m));
  return {{"kind", kKind},         {"networkName", r.network}, {"containerId", r.container_id},
          {"ifName", r.ifname},    {"netns", r.netns},         {"netnsIdentity", r.netns_identity},
          {"cniArgs", args},       {"portMappings", ports},    {"result", r.result}};
}

Result<CacheRecord> fromJson(const nlohmann::json& j, const std::string& path) {
  auto broken = [&](const std::string& why) {
    return makeError(fmt::format("CNI result cache {} is unusable: {}; delete the file (the "
                                 "attachment it describes must then be cleaned up by hand)",
                                 path, why));
  };
  if (!j.is_object() || j.value("kind", "") != kKind) return broken("it is not a Coral CNI cache record");
  CacheRecord r;
  try {
    r.network = j.at("networkName").get<std::string>();
    r.container_id = j.at("containerId").get<std::string>();
    r.ifname = j.at("ifName").get<std::string>();
    r.netns = j.value("netns", "");
    r.netns_identity = j.value("netnsIdentity", "");
    for (const auto& kv : j.value("cniArgs", nlohmann::json::array())) {
      r.cni_args.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
    }
    for (const auto& pm : j.value("portMappings", nlohmann::json::array())) {
      auto mapping = portMappingFromJson(pm);
      if (!mapping) return broken(mapping.message());
      r.port_mappings.push_back(*mapping);
    }
    r.result = j.at("result");
  } catch (const nlohmann::json::exception& e) {
    return broken(e.what());
  }
  return r;
}

Result<CacheRecord> readRecordFile(const std::string& path) {
  auto text = os::readFile(path);
  if (!text) return text.error();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) {
    return makeError(fmt::format("CNI result cache {} is not valid JSON; delete the file (the "
                                 "attachment it describes must then be cleaned up by hand)",
                                 path));
  }
  return fromJson(j, path);
}

}  // namespace

std::string cacheFilePath(const std::string& cache_dir, const std::string& network,
                          const std::string& container_id, const std::string& ifname) {
  // Same layout as libcni (results/<network>-<container>-<ifname>); the
  // names are validated CNI identifiers, so the file name is safe.
  return fmt::format("{}/{}-{}-{}", resultsDir(cache_dir), network, container_id, ifname);
}

Status writeCacheRecord(const std::string& cache_dir, const CacheRecord& record) {
  if (auto made = os::makeDirectories(resultsDir(cache_dir), 0700); !made) return made;
  return os::writeFileAtomically(
      cacheFilePath(cache_dir, record.network, record.container_id, record.ifname),
      toJson(record).dump(2) + "\n", 0600);
}

Result<std::optional<CacheRecord>> readCacheRecord(const std::string& cache_dir,
                                                   const std::string& network,
                                                   const std::string& container_id,
                                                   const std::string& ifname) {
  const std::string path = cacheFilePath(cache_dir, network, container_id, ifname);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<CacheRecord>();
  auto record = readRecordFile(path);
  if (!record) return record.error();
  return std::optional<CacheRecord>(std::move(*record));
}

Status removeCacheRecord(const std::string& cache_dir, const std::string& network,
                         const std::string& container_id, const std::string& ifname) {
  const std::string path = cacheFilePath(cache_dir, network, container_id, ifname);
  if (std::remove(path.c_str()) != 0 && errno != ENOENT) {
    return makeError(fmt::format("cannot remove CNI result cache {}: {}; remove it by hand", path,
                                 std::strerror(errno)));
  }
  return okStatus();
}

std::vector<CacheRecord> listCacheRecords(const std::string& cache_dir) {
  std::vector<CacheRecord> records;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(resultsDir(cache_dir), ec)) {
    std::error_code type_ec;
    // Skip the temp files of an atomic write in progress.
    if (entry.is_regular_file(type_ec) &&
        entry.path().filename().string().find(".tmp.") == std::string::npos) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    auto record = readRecordFile(file.string());
    if (record) records.push_back(std::move(*record));
  }
  return records;
}

std::string namespaceIdentity(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return "";
  return fmt::format("{}:{}", static_cast<unsigned long long>(st.st_dev),
                     static_cast<unsigned long long>(st.st_ino));
}

}  // namespace coral::cni
