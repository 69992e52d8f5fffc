// Small helpers shared by the toolchain store and the job runner. Thread-safe; never throw.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace sccache::sandbox_bwrap {

// `bytes` random bytes as lowercase hex, for unique directory names.
std::string random_hex(size_t bytes);

// rm -rf `path` (never following symlinks); returns an error description, or "" on success
// (including when `path` does not exist).
std::string remove_tree(const std::filesystem::path& path) noexcept;

}  // namespace sccache::sandbox_bwrap
