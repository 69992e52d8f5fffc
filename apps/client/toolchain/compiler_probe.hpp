// Asks a gcc or clang driver where its parts are (the programs it runs, its plugin and specs,
// clang's resource headers), the way the driver itself would find them.
//
// Threads: no shared state. Failure: ToolchainError (the compiler cannot run, or is neither gcc
// nor clang).
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

namespace sccache::toolchain {

enum class CompilerFamily { gcc, clang };

struct CompilerParts {
  CompilerFamily family = CompilerFamily::gcc;
  // Absolute host paths of the files the driver needs besides itself (cc1, as, specs, ...), as
  // the driver names them (symlinks and `..` not resolved). Only files that exist.
  std::vector<std::filesystem::path> files;
  // clang: the resource dir's include/ (absent for gcc, or if clang has none).
  std::optional<std::filesystem::path> resource_include_dir;
};

CompilerParts probe_compiler(const std::filesystem::path& compiler);

// Where execvp() would find `name` in $PATH (an executable regular file), made absolute.
std::optional<std::filesystem::path> find_in_path(std::string_view name);

}  // namespace sccache::toolchain
