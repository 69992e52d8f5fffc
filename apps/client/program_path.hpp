// Finding the real compiler: what a name runs as through PATH, skipping sccache itself (a
// masquerading symlink gcc -> sccache must not lead back to the wrapper).
//
// Threads: pure functions of their arguments (and the file system).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace sccache {

// The executable `name` would run as, searched in `path_env` (a PATH value) like execvp, skipping
// any candidate that resolves to one of `skip`. Empty if none.
std::filesystem::path find_in_path(const std::string& name, std::string_view path_env,
                                   const std::vector<std::filesystem::path>& skip);

// This program's own path (/proc/self/exe).
std::filesystem::path self_executable();

// sccache's own programs, never to be taken for a compiler: this one, and the wrapper
// <prefix>/bin/sccache beside the full client <prefix>/libexec/sccache/sccache-server.
std::vector<std::filesystem::path> sccache_programs();

}  // namespace sccache
