// Shared library resolution: which libraries the dynamic loader maps for an ELF file, as `ldd`
// reports them (so RPATH/RUNPATH, ld.so.cache and the loader's defaults all count).
//
// Threads: no shared state. Failure: ToolchainError if ldd cannot run or fails on a dynamic file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace sccache::toolchain {

struct LddReport {
  bool is_static = false;                        // "not a dynamic executable"/"statically linked"
  std::vector<std::filesystem::path> libraries;  // as printed, loader included, in ldd's order
  std::vector<std::string> missing;              // "libx.so => not found"
};

// Parses ldd's output (stdout and stderr concatenated). Skips linux-vdso/linux-gate.
LddReport parse_ldd_output(std::string_view text);

// Whether `file` starts with the ELF magic.
bool is_elf(const std::filesystem::path& file);

// Runs `ldd <elf>`; missing libraries are logged and left out.
std::vector<std::filesystem::path> shared_library_deps(const std::filesystem::path& elf);

}  // namespace sccache::toolchain
