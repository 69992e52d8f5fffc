// The two keys of the compile cache (docs/cache.md lists what is in them, and why):
//
//  - the result key, of what the compiler saw: the compiler's content digest, its family, the
//    language, every argument except where the outputs go (-o, -MF) and how diagnostics are
//    coloured, the object's name when a depfile records it, the environment variables that
//    change the output, the working directory when the object records it (-g without a prefix
//    map), and the preprocessed unit;
//  - the direct key, of what the command names before anything runs: the same, plus the working
//    directory always and the source's path and content digest instead of the unit. A manifest
//    stored under it lists the includes (and their digests) seen for each result, so a hit
//    needs no preprocessor (manifest.hpp);
//  - in depend mode (a miss compiled here, whose own depfile lists what it read), the result key
//    is the direct key plus those files and their digests instead of the unit.
//
// Base directories (SCCACHE_BASEDIRS) are stripped from the arguments and the unit's line
// markers only where that is safe: never when the object records paths (-g without a prefix
// map) or the unit names __FILE__/__BASE_FILE__ (an absolute path would be compiled in), and
// never from the direct key (whose manifest names absolute include paths).
//
// Threads: pure. Failure: none.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sccache::cache {

struct KeyInputs {
  std::string compiler_digest;    // SHA-256 of the compiler executable
  std::string family;             // "gcc", "clang"
  std::string language;           // "c", "c++", ...
  std::vector<std::string> args;  // the compiler's arguments, as given (argv[1..])
  std::string object;             // the object, as the command names it
  bool writes_depfile = false;
  std::filesystem::path cwd;
  std::vector<std::pair<std::string, std::string>> environment;  // the variables that matter
  std::vector<std::string> basedirs;                             // longest first
};

// The variables of `environment` ("KEY=value") that change what the compiler writes, sorted.
std::vector<std::pair<std::string, std::string>> key_environment(
    const std::vector<std::string>& environment);

// Whether the object records the working directory and source paths: -g (any level but 0)
// without -fdebug-prefix-map, -ffile-prefix-map or -fdebug-compilation-dir.
bool records_paths(const std::vector<std::string>& args);

// Whether `arg` only chooses diagnostics' colours (-fdiagnostics-color=..., -fcolor-diagnostics).
bool is_colour_option(std::string_view arg);

struct ResultKey {
  std::string key;
  // Set when the unit cannot be cached: __TIME__ or __TIMESTAMP__ without SOURCE_DATE_EPOCH.
  std::optional<std::string> not_cacheable;
  // __DATE__ is in the unit: today's date is in the key, and no manifest may point at it.
  bool date_dependent = false;
  bool basedirs_stripped = false;
};

ResultKey result_key(const KeyInputs& inputs, std::string_view unit);
std::string direct_key(const KeyInputs& inputs, std::string_view input_path,
                       std::string_view source_digest);

// Depend mode's result key (no preprocessed unit): the direct key and every file the compile
// read, as (absolute path, content digest) in the depfile's order. Only a manifest under the
// direct key points at it.
std::string depend_key(std::string_view direct_key,
                       const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace sccache::cache
