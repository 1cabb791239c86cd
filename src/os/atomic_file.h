// Durable file writes: the new content appears whole or not at all, even
// across a crash (temp file in the same directory, fsync, rename, fsync dir).
#pragma once

#include <string>
#include <sys/types.h>

#include "core/result.h"

namespace coral::os {

Status writeFileAtomically(const std::string& path, const std::string& content,
                           mode_t mode = 0644);

Result<std::string> readFile(const std::string& path);

// Creates the directory and its parents with the given mode for new ones.
Status makeDirectories(const std::string& path, mode_t mode = 0755);

}  // namespace coral::os
