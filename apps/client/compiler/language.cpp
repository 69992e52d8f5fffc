#include "client/compiler/language.hpp"

#include <array>
#include <utility>

namespace sccache::compiler {

namespace {

// gcc's suffix table ("Options Controlling the Kind of Output"), plus clang's module units.
constexpr std::array<std::pair<std::string_view, std::string_view>, 45> k_by_extension{{
    {"c", "c"},
    {"i", "cpp-output"},
    {"ii", "c++-cpp-output"},
    {"h", "c-header"},
    {"m", "objective-c"},
    {"mi", "objective-c-cpp-output"},
    {"mm", "objective-c++"},
    {"M", "objective-c++"},
    {"mii", "objective-c++-cpp-output"},
    {"cc", "c++"},
    {"cp", "c++"},
    {"cxx", "c++"},
    {"cpp", "c++"},
    {"CPP", "c++"},
    {"c++", "c++"},
    {"C", "c++"},
    {"hh", "c++-header"},
    {"H", "c++-header"},
    {"hp", "c++-header"},
    {"hxx", "c++-header"},
    {"hpp", "c++-header"},
    {"HPP", "c++-header"},
    {"h++", "c++-header"},
    {"tcc", "c++-header"},
    {"s", "assembler"},
    {"S", "assembler-with-cpp"},
    {"sx", "assembler-with-cpp"},
    {"f", "f77"},
    {"for", "f77"},
    {"ftn", "f77"},
    {"F", "f77-cpp-input"},
    {"f90", "f95"},
    {"f95", "f95"},
    {"f03", "f95"},
    {"f08", "f95"},
    {"F90", "f95-cpp-input"},
    {"go", "go"},
    {"d", "d"},
    {"ads", "ada"},
    {"adb", "ada"},
    {"cu", "cuda"},
    {"cl", "cl"},
    {"hip", "hip"},
    {"cppm", "c++-module"},
    {"ixx", "c++-module"},
}};

}  // namespace

std::string language_from_extension(std::string_view input, bool cxx_driver) {
  auto slash = input.rfind('/');
  std::string_view name = slash == std::string_view::npos ? input : input.substr(slash + 1);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) {
    return "";
  }
  std::string_view extension = name.substr(dot + 1);
  if (cxx_driver) {
    if (extension == "c") {
      return "c++";
    }
    if (extension == "i") {
      return "c++-cpp-output";
    }
    if (extension == "h") {
      return "c++-header";
    }
  }
  for (const auto& [ext, language] : k_by_extension) {
    if (ext == extension) {
      return std::string(language);
    }
  }
  return "";
}

bool is_source_language(std::string_view language) {
  return language == "c" || language == "c++" || language == "objective-c" ||
         language == "objective-c++";
}

bool is_preprocessed_language(std::string_view language) {
  return language == "cpp-output" || language == "c++-cpp-output" ||
         language == "objective-c-cpp-output" || language == "objective-c++-cpp-output" ||
         language == "objc-cpp-output" || language == "objc++-cpp-output";
}

std::string preprocessed_language(std::string_view language) {
  if (language == "c") {
    return "cpp-output";
  }
  return std::string(language) + "-cpp-output";
}

}  // namespace sccache::compiler
