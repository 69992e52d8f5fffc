// The options the analysis knows: how each is spelled, whether it takes a value, and which run
// it belongs to. An option not in the table is refused (unsupported) rather than guessed at.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "client/compiler/compiler_family.hpp"

namespace sccache::compiler {

enum class ArgKind {
  compile,       // -c
  not_compile,   // -E, -S, -M, -MM, -fsyntax-only, -v, --version, ...: no object is produced
  output,        // -o
  language,      // -x
  preprocessor,  // -I, -isystem, -include, --sysroot, -nostdinc, ...: local preprocessing only
  macro,         // -D, -U, -undef, -Wp,-D...: local preprocessing; also the remote compile in
                 // clang's rewrite-includes mode (macros are expanded there)
  dependency,    // -MD, -MMD, -MF, -MT, -MQ, -MP, -Wp,-MD,<file>: local preprocessing only
  common,        // -O, -g, -f, -W, -m, -std=, -pedantic, --param, -Xclang, ...: both runs
  linker,        // -l, -L, -Wl,, -shared, ...: gcc ignores them (silently) with -c, so both
                 // runs get them; clang warns about each, so with clang they are refused
  unsupported,   // refused: reads or writes files the other side lacks, output not reproducible,
                 // unknown, or malformed
};

// How the analysis runs, which changes a few decisions (e.g. clang's -frewrite-includes drops
// -imacros; gcc's -fdirectives-only shows up in -frecord-gcc-switches).
struct Mode {
  Family family = Family::gcc;
  bool rewrite_includes_only = false;
};

struct MatchedArg {
  ArgKind kind = ArgKind::unsupported;
  std::size_t count = 1;  // argv elements consumed: 1, or 2 when the value is the next element
  // The option's name: the table spelling for options with a value ("-o", "-MF", "-D"), the
  // whole argument for flags and families ("-O2", "-fPIC"), "-Wp,-MD"/"-Wp,-MMD" for
  // dependency output passed through -Wp.
  std::string option;
  std::string value;  // the value (joined or separate); "" when there is none
  std::string why;    // unsupported / not_compile: why, in a few words
};

// Classifies args[index], which starts with '-' and is not "-" itself.
MatchedArg match_option(const Mode& mode, const std::vector<std::string>& args, std::size_t index);

}  // namespace sccache::compiler
