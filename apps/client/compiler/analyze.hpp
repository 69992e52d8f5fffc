// The decision: can this gcc/clang command line be compiled remotely, and if so, how.
//
// The remote path: run the preprocessor locally (it also writes any depfile, so the depfile is
// the local one), send the preprocessed unit to a build server, which runs the same compiler
// (same absolute path) in the same working-directory path on it, and bring back the object.
// Anything else runs the original command locally, unchanged; every such decision carries a
// named reason.
//
// The analysis is purely syntactic: it reads no files and no environment. Callers must also keep
// local: commands run with DEPENDENCIES_OUTPUT or SUNPRO_DEPENDENCIES set (gcc writes a depfile
// the remote side would not), and builds that use precompiled headers implicitly (a foo.h.gch
// next to an included foo.h: the local compile would use it, the preprocessed text does not).
//
// What "byte-identical" covers (verified against gcc 12 and clang 14 by the tests): without -g,
// the object and the depfile are identical in both modes. With -g the code and data are
// identical but the debug info is not: full preprocessing changes DWARF column numbers (macro
// expansion, collapsed whitespace); gcc's rewrite mode records -fdirectives-only in
// DW_AT_producer; clang drops the main file's MD5 and renumbers the file table (and in rewrite
// mode names the compiled file in DW_AT_name). Diagnostics: see commands.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/compiler/compiler_family.hpp"

namespace sccache::compiler {

enum class NotDistributed {
  none,                  // distributable: Analysis::plan is set
  not_compile,           // no -c (a link), or -E, -S, -M, -MM, -fsyntax-only, -v, -###,
                         // --version, --help, -print-*: no single object comes out
  no_input,              // -c without a source file
  multiple_inputs,       // more than one input file (linker inputs count)
  stdin_input,           // the input is "-"
  stdout_output,         // -o -
  unsupported_language,  // not C/C++ (assembler .s/.S, headers, CUDA, Fortran, linker input),
                         // or Objective-C where unverified (gcc, or a C++ driver)
  unsupported_option,    // an option that is unknown, malformed, or refused; `detail` names it
  response_file,         // @file: not expanded (its contents could hold anything)
  already_preprocessed,  // .i/.ii/.mi/.mii or -x *-cpp-output: kept local
};

// Stable snake_case names ("not_compile", "unsupported_option", ...) for statistics.
std::string_view to_string(NotDistributed reason);

struct CompilePlan {
  Family family = Family::gcc;
  bool rewrite_includes_only = false;  // preprocessing only expands includes (see analyze())
  std::string language;                // gcc -x name: "c", "c++", "objective-c", "objective-c++"
  std::string input;                   // the source, as written on the command line
  // The object, as the compiler would write it: the -o path as given, or "<stem>.o" in the
  // current directory (see output_names.hpp).
  std::string output;
  // Local preprocessing, without the compiler path and without the preprocessed output's
  // destination (preprocess_command() adds it): -E, the mode's flag (-fdirectives-only or
  // -frewrite-includes), then the original arguments in their original order minus -c and -o,
  // then the -MF/-MQ that make the depfile byte-identical to the one the original command writes.
  std::vector<std::string> preprocess_args;
  // The original arguments the remote compile keeps, in their original order: the common ones
  // (-O, -g, -f, -W, -m, -std=, ...; gcc's linker no-ops), plus -D/-U/-undef in clang's
  // rewrite-includes mode. remote_compile_command() adds -x, -c <file> and -o.
  std::vector<std::string> remote_args;
  std::optional<std::string> depfile;  // what the local preprocessing writes, if anything
  // The depfile lists every file read, system headers included (the driver's -MD, not -MMD or
  // -Wp,): what the compile cache's depend mode needs.
  bool depfile_is_complete = false;
  std::vector<std::string> outputs;  // what the remote compile writes: the object
};

struct Analysis {
  std::optional<CompilePlan> plan;  // set exactly when reason == none
  NotDistributed reason = NotDistributed::none;
  std::string detail;  // for a refusal: the argument(s) concerned and why, e.g.
                       // "-march=native (tunes for the local CPU; ...)"
};

// `args` is argv[1..] of the compiler. rewrite_includes_only picks how much preprocessing happens
// locally:
//   false: full preprocessing (-E); the remote compiles -x cpp-output / c++-cpp-output / ...
//   true:  gcc: -E -fdirectives-only, remote compile -x <lang> -fdirectives-only -fpreprocessed;
//          clang: -E -frewrite-includes, remote compile -x <lang> plus the -D/-U/-undef options,
//          of a unit named like the source (preprocessed_file_name() in commands.hpp).
//          Macros expand remotely, so diagnostics keep their macro context and columns.
// Decisions that differ from the option table's defaults:
//   -S stays local (not_compile); .s/.S/.sx stay local (unsupported_language); Objective-C is
//   distributed with clang's C driver only (no gcc Objective-C compiler here to verify against);
//   @file is not expanded (response_file); -gsplit-dwarf, --coverage, -fprofile-*, -flto are
//   refused (extra outputs, or objects that differ even between two local runs).
Analysis analyze(const Compiler& compiler, const std::vector<std::string>& args,
                 bool rewrite_includes_only);

}  // namespace sccache::compiler
