// Finding the real compiler: what a name runs as through PATH, skipping sccache itself (a
// masquerading symlink gcc -> sccache must not lead back to the wrapper).
//
// Threads: pure functions of their arguments (and the file system).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace sccache {

// The executable `name` would run as, searched in `path_env` (a PATH value) like execvp, skipping
// any candidate that resolves to `self`. Empty if none.
std::filesystem::path find_in_path(const std::string& name, std::string_view path_env,
                                   const std::filesystem::path& self);

// This program's own path (/proc/self/exe).
std::filesystem::path self_executable();

}  // namespace sccache
