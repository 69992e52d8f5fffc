// The source files a preprocessed unit came from, read from its line markers
// (`# 12 "src/a.h" 1 3`). The remote compiler never needs them to compile, but it reads them to
// print the source lines and carets of its diagnostics, so they travel with the job: files of the
// project always (cheap, and where most diagnostics point), system headers (marker flag 3) only
// when a diagnostic points into one.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace sccache {

struct ReferencedFiles {
  std::vector<std::filesystem::path> project;  // absolute, existing regular files
  std::vector<std::filesystem::path> system;
};

// Relative marker paths are resolved against `cwd`, as the compiler does.
ReferencedFiles referenced_files(std::string_view preprocessed, const std::filesystem::path& cwd);

// Whether a diagnostic in `stderr_text` is located in one of `files` ("path:line:col: ...").
bool diagnostics_point_into(std::string_view stderr_text,
                            const std::vector<std::filesystem::path>& files,
                            const std::filesystem::path& cwd);

}  // namespace sccache
