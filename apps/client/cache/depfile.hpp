// The prerequisites a make-style depfile lists (what gcc's and clang's -MD write), for depend
// mode: the files the compile read, so the key can hash them without a preprocessor run.
//
// Format: rules "targets: prerequisites", lines continued by a backslash before the newline;
// in a name "\ " is a space, "\#" a '#', "$$" a '$' (gcc's and clang's escapes). -MP's phony
// rules ("header.h:") add no prerequisites.
//
// Threads: pure. Failure: nullopt for text that is not such a depfile (no rule at all).
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

namespace sccache::cache {

// Every prerequisite once, in order of first appearance, made absolute against `cwd` and
// lexically normal.
std::optional<std::vector<std::filesystem::path>> depfile_prerequisites(
    std::string_view text, const std::filesystem::path& cwd);

}  // namespace sccache::cache
