// Translates between Coral's container/image structs and the JSON shapes of
// Docker Engine API v1.41. Pure functions, so the create body and the
// response parsing are tested without a daemon.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "docker/docker_types.h"

namespace coral::docker {

// Body of POST /containers/create: ContainerConfig with a HostConfig inside.
// Zero/empty optional fields are left out so Docker's defaults apply.
nlohmann::json containerCreateBody(const ContainerSpec& spec);

// "source:target:ro" / "source:target:rw".
std::string bindString(const Mount& mount);

// Query value for `filters=`: {"label": ["k=v", ...]}; an empty value
// matches any container that has the label at all.
nlohmann::json labelFilter(const std::map<std::string, std::string>& labels);

// Parsers accept any JSON (missing or null fields become defaults) because
// clients must tolerate fields Docker adds or omits; they fail only when the
// document is not the expected kind at all.
Result<ContainerInfo> parseContainerInspect(const nlohmann::json& inspect);
Result<std::vector<ContainerInfo>> parseContainerList(const nlohmann::json& list);
Result<ImageInfo> parseImageInspect(const nlohmann::json& inspect);

}  // namespace coral::docker
