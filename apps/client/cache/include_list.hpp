// The files a preprocessed unit was made from, read from its line markers (`# 12 "path" 1`,
// which gcc -E, gcc -fdirectives-only and clang -frewrite-includes all write): what a direct-mode
// manifest must check before it may skip the preprocessor.
//
// Threads: pure. Failure: none (a marker it cannot read is skipped).
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

namespace sccache::cache {

// The distinct files named by line markers, made absolute against `cwd` and normalised, in order
// of first appearance; without the compiler's pseudo files (<built-in>, <command-line>) and the
// working-directory marker gcc writes with -g ("/cwd//").
std::vector<std::filesystem::path> included_files(std::string_view unit,
                                                  const std::filesystem::path& cwd);

// Whether `line` (without its '\n') is a line marker: `# <digits> "path"...` or `#line <digits>`.
// The key uses it too: base directories are stripped from markers only.
bool is_line_marker(std::string_view line);

}  // namespace sccache::cache
