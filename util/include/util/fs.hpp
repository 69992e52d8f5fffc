// Small file-system helpers.
//
// Threads: no shared state. Failure: as each function says.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace util {

// rm -rf `path`, never following symlinks; an error description, or "" on success (including
// when `path` does not exist). Never throws.
std::string remove_tree(const std::filesystem::path& path) noexcept;

// A new, empty file in `dir` named `<prefix><random>`, created with O_EXCL and `mode`; its path.
// Throws std::runtime_error.
std::filesystem::path make_temp_file(const std::filesystem::path& dir, std::string_view prefix,
                                     unsigned mode = 0600);

enum class Durability { none, fsync };
// Writes `data` to a temp file beside `path`, then renames it over `path`: readers see the old
// file or the new one, never a part. Throws std::runtime_error (the temp file is removed).
void write_file_atomically(const std::filesystem::path& path, std::string_view data,
                           unsigned mode = 0644, Durability durability = Durability::none);

// Creates `path` (and its parents) if needed and makes it 0700, so no other local user can enter
// it whatever the umask or an earlier run left. Throws std::filesystem::filesystem_error.
void make_private_directory(const std::filesystem::path& path);

// The whole file, or nullopt if it cannot be opened or read (errno tells).
std::optional<std::string> read_file(const std::filesystem::path& path);

}  // namespace util
