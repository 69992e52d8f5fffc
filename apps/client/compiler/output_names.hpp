// The file names gcc and clang derive when the command line does not give them. Each rule was
// checked against the real drivers (gcc 12 specs %b, %{o*:%.d%*}; clang 14 getDependencyFileName).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "client/compiler/compiler_family.hpp"

namespace sccache::compiler {

// The input's file name without directory and without its suffix.
//   gcc (%b):   the suffix starts at the last '.', unless that '.' is the first character:
//               ".c" -> ".c", "a.b.c" -> "a.b".
//   clang (llvm::sys::path::stem): any last '.', except for "." and "..": ".c" -> "".
std::string input_stem(Family family, std::string_view input);

// What `-c` without -o writes: "<stem>.o" in the current directory.
std::string default_object_path(Family family, std::string_view input);

// `path` with the suffix of its last component (from the last '.' after the last '/', even as
// that component's first character) replaced by `suffix`, or `suffix` appended when there is no
// '.': "out/x.o" -> "out/x.d", "dir.x/foo" -> "dir.x/foo.d", "sub/.o" -> "sub/.d".
std::string replace_suffix(std::string_view path, std::string_view suffix);

// What -MD/-MMD writes without -MF: with -o, replace_suffix(<the -o path>, ".d");
// without, "<stem>.d" in the current directory.
std::string default_depfile_path(Family family, std::string_view input,
                                 const std::optional<std::string>& output);

}  // namespace sccache::compiler
