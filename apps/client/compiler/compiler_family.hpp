// Which compiler a command runs: gcc or clang, and whether its driver is the C++ one.
#pragma once

#include <string_view>

namespace sccache::compiler {

enum class Family { gcc, clang };

// What the analysis needs to know about the compiler executable.
struct Compiler {
  Family family = Family::gcc;
  // g++, c++, clang++ (any executable whose file name contains "++"): these drivers compile .c
  // and .i inputs as C++.
  bool cxx_driver = false;
};

// Text containing "clang version" (or Apple's "Apple LLVM version") => clang; anything else
// (including empty text) => gcc.
Family family_from_version_output(std::string_view version_text);

// From the executable's file name alone: "clang" in the name => clang, else gcc.
Family family_from_executable_name(std::string_view executable_path);

// The part of `path` after the last '/'.
std::string_view file_name(std::string_view path);

// The file name (after the last '/') contains "++".
bool is_cxx_driver(std::string_view executable_path);

// family from `version_text` when it is not empty (it is authoritative: "cc" may be either),
// otherwise from the name; cxx_driver from the name.
Compiler compiler_from(std::string_view executable_path, std::string_view version_text);

std::string_view to_string(Family family);

}  // namespace sccache::compiler
