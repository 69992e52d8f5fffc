// Running the real compiler locally.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sccache {

struct Captured {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};

// Runs `executable` with `args` (args[0] is argv[0]), stdin from /dev/null, capturing stdout and
// stderr. Throws std::runtime_error if it cannot start.
Captured run_captured(const std::filesystem::path& executable,
                      const std::vector<std::string>& args);

// Runs with the caller's stdin, stdout and stderr; returns the exit code (128 + signal when
// killed). Throws std::runtime_error if it cannot start.
int run_inherited(const std::filesystem::path& executable, const std::vector<std::string>& args);

// The executable `name` would run as, searched in PATH like execvp, skipping any candidate that is
// this very program (a masquerading symlink or sccache itself). Empty if none.
std::filesystem::path find_in_path(const std::string& name);

// This program's own path (/proc/self/exe).
std::filesystem::path self_executable();

}  // namespace sccache
