// The options whose verdict depends on their value or on the mode (-f/-g/-m families, -Wp,,
// -Wa,, -Xclang, -imacros, -frecord-gcc-switches). Internal to argument_table.cpp.
#pragma once

#include <string_view>

#include "client/compiler/argument_table.hpp"

namespace sccache::compiler {

enum class Check { none, f_option, g_option, m_option, wp, wa, xclang, imacros, record_switches };

// Marks `match` unsupported, with `why`.
void refuse(MatchedArg& match, std::string_view why);

// Applies `check` to a matched option: may refuse it, or (for -Wp,) give it its real kind.
//   f_option:        -f... reading or writing list files (*blacklist*, *ignorelist*, ...),
//                    -fdiagnostics-format=*-file, -fbasic-block-sections=<file>; -fno-* pass.
//   g_option:        clang's -grecord-command-line / -grecord-gcc-switches.
//   m_option:        -m...=native.
//   wp:              -Wp,-MD,<file> / -Wp,-MMD,<file> => dependency; -Wp,-D.../-U... => macro;
//                    anything else refused.
//   wa:              only --noexecstack, --[no]compress-debug-sections[=...],
//                    -mrelax-relocations=....
//   xclang:          frontend options that load plugins, read or write files, or change mode.
//   imacros:         refused in clang's rewrite mode (-frewrite-includes drops it).
//   record_switches: refused for clang (records the compiled file's name) and in gcc's rewrite
//                    mode (records -fdirectives-only).
void refine(const Mode& mode, Check check, MatchedArg& match);

}  // namespace sccache::compiler
