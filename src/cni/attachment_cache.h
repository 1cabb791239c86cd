// The on-disk record of one attachment (ADD result, netns, CNI_ARGS, port
// mappings) that DEL and CHECK need later, like libcni's result cache.
// Must never let a DEL enter a netns other than the one ADD configured.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cni/runtime_args.h"
#include "core/result.h"

namespace coral::cni {

struct CacheRecord {
  std::string network;
  std::string container_id;
  std::string ifname;
  std::string netns;
  // "dev:inode" of the netns at ADD time (empty if unknown): a DEL whose
  // path now names another namespace (PID reused) must not enter it.
  std::string netns_identity;
  std::vector<std::pair<std::string, std::string>> cni_args;
  std::vector<PortMapping> port_mappings;
  nlohmann::json result;
};

std::string cacheFilePath(const std::string& cache_dir, const std::string& network,
                          const std::string& container_id, const std::string& ifname);

Status writeCacheRecord(const std::string& cache_dir, const CacheRecord& record);

// std::nullopt when there is no record; an error when it exists but is unreadable.
Result<std::optional<CacheRecord>> readCacheRecord(const std::string& cache_dir,
                                                   const std::string& network,
                                                   const std::string& container_id,
                                                   const std::string& ifname);

Status removeCacheRecord(const std::string& cache_dir, const std::string& network,
                         const std::string& container_id, const std::string& ifname);

// Every readable record in the cache (unreadable files are skipped).
std::vector<CacheRecord> listCacheRecords(const std::string& cache_dir);

// "dev:inode" of the file at `path` (a netns), or empty when it does not exist.
std::string namespaceIdentity(const std::string& path);

}  // namespace coral::cni
