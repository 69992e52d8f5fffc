#include "client/compiler/compiler_family.hpp"

namespace sccache::compiler {

std::string_view file_name(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

Family family_from_version_output(std::string_view version_text) {
  if (version_text.find("clang version") != std::string_view::npos ||
      version_text.find("Apple LLVM version") != std::string_view::npos) {
    return Family::clang;
  }
  return Family::gcc;
}

Family family_from_executable_name(std::string_view executable_path) {
  return file_name(executable_path).find("clang") != std::string_view::npos ? Family::clang
                                                                            : Family::gcc;
}

bool is_cxx_driver(std::string_view executable_path) {
  return file_name(executable_path).find("++") != std::string_view::npos;
}

Compiler compiler_from(std::string_view executable_path, std::string_view version_text) {
  Compiler compiler;
  compiler.family = version_text.empty() ? family_from_executable_name(executable_path)
                                         : family_from_version_output(version_text);
  compiler.cxx_driver = is_cxx_driver(executable_path);
  return compiler;
}

std::string_view to_string(Family family) {
  return family == Family::clang ? "clang" : "gcc";
}

}  // namespace sccache::compiler
