// Runs a compile two ways in one directory and collects what each wrote, for byte comparison:
//   original: `<compiler> <args>`;
//   split:    `<compiler> <preprocess_command>` then `<compiler> <remote_compile_command>`,
//             the preprocessed unit deliberately named unlike the source (pp/unit.sccache.ii).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/compiler/analyze.hpp"

namespace sccache::test::compile {

using Args = std::vector<std::string>;

// One compile to run both ways, in full and rewrite modes.
struct Case {
  std::string name;
  Args args;
  bool cxx_driver = false;  // g++ / clang++ instead of gcc / clang
  bool debug = false;       // -g: debug info may legitimately differ (reported, not hidden)
  bool gcc_only = false;    // refused for clang (linker options)
  bool full_only = false;   // refused in rewrite mode
};

// The object/depfile cases: C and C++, -O0/-O2, -g, -D/-I/-include/-imacros, every depfile
// form, derived names.
std::vector<Case> object_cases();

// Whether `<compiler> --version` runs.
bool available(const std::string& compiler);

// The sources the cases compile: src/a.c, src/b.cpp, src/noext, dot/.c, inc/h.h, inc/cfg.h,
// diagnostics sources, and the empty directories out/, deps/, pp/.
void write_sources(const std::filesystem::path& dir);

struct Produced {
  int exit_code = -1;
  std::string diagnostics;  // all stderr: split = preprocessing's then the remote compile's
  std::string preprocess_diagnostics;
  std::map<std::string, std::optional<std::string>> files;  // nullopt: not written
};

// Every regular file under dir, as relative paths.
std::vector<std::string> all_files(const std::filesystem::path& dir);

// Runs `c` the original way and split (full or rewrite mode) with `executable` and checks: the
// plan names exactly the files the original writes; the split writes the same bytes (objects
// with -g: code and data the same, debug-info differences reported with WARN) and nothing else
// besides the preprocessed unit; diagnostics and exit codes agree.
void check_case(const std::string& executable, compiler::Family family, const Case& c,
                bool rewrite);

// Runs the original command, collects `files` (relative to dir) and deletes them.
Produced run_original(const std::string& compiler, const Args& args,
                      const std::filesystem::path& dir, const std::vector<std::string>& files);

// Runs the split. With hide_sources, src/ and inc/ are renamed away during the remote compile,
// as on a build server, which only has the preprocessed unit.
Produced run_split(const std::string& compiler, const compiler::CompilePlan& plan,
                   const std::filesystem::path& dir, bool hide_sources = false);

// Every file the plan says is written (outputs, then the depfile).
std::vector<std::string> expected_files(const compiler::CompilePlan& plan);

// An object without its debug sections (objcopy --strip-debug).
std::string strip_debug(const std::string& object, const std::filesystem::path& scratch);

// The first differing lines of `readelf --debug-dump=info,rawline` of two objects, as a
// human-readable report ("" when the dumps agree).
std::string debug_dump_difference(const std::string& a, const std::string& b,
                                  const std::filesystem::path& scratch);

// `text` without gcc's source-excerpt lines ("    2 | code", "      |   ^~~").
std::string without_source_excerpts(const std::string& text);

// The lines of `a` and `b` that differ, position by position (a readable summary).
std::string line_difference(const std::string& a, const std::string& b);

}  // namespace sccache::test::compile
