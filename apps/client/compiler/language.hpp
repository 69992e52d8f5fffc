// Source languages, named as gcc's -x names ("c", "c++", "objective-c", ...).
#pragma once

#include <string>
#include <string_view>

namespace sccache::compiler {

// The -x name a gcc/clang driver picks for `input` from its extension when no -x applies.
// C++ drivers (g++, clang++) take .c/.i/.h as C++. Recognised non-C languages get their -x name
// ("assembler", "cuda", "f95", ...); an unknown extension yields "" (the driver treats the file as
// linker input).
std::string language_from_extension(std::string_view input, bool cxx_driver);

// "c", "c++", "objective-c", "objective-c++": languages whose sources preprocess to a unit a
// remote compiler can build.
bool is_source_language(std::string_view language);

// The *-cpp-output languages (.i, .ii, .mi, .mii): already preprocessed.
bool is_preprocessed_language(std::string_view language);

// The -x name of a source language's preprocessed form: "c" -> "cpp-output",
// "c++" -> "c++-cpp-output", "objective-c" -> "objective-c-cpp-output",
// "objective-c++" -> "objective-c++-cpp-output". Both gcc and clang accept these names.
// Precondition: is_source_language(language).
std::string preprocessed_language(std::string_view language);

}  // namespace sccache::compiler
