// The two commands of a remote compile, as argument vectors without the compiler path (run both
// with the same compiler executable, in the same working-directory path).
#pragma once

#include <string>
#include <vector>

#include "client/compiler/analyze.hpp"

namespace sccache::compiler {

// Diagnostics (stderr of the preprocessing followed by the remote compile's), as measured:
//  - rewrite mode: identical to the original's, when the build server has the sources; gcc
//    prints source excerpts ("  4 |   code" and caret lines) by reading the files named in the
//    line markers, so without the sources those lines are missing (clang takes them from the
//    unit itself and is unaffected);
//  - full preprocessing: diagnostics inside macro expansions lose their "in expansion of macro"
//    notes and columns (gcc and clang);
//  - both modes: preprocessor diagnostics (#warning) come before all compiler diagnostics
//    instead of in source order, and gcc's "At top level:" context line before them is lost.
// Exit codes agree in every case tested. A caller wanting exact diagnostics reruns locally
// when either step printed anything. Colour: "auto" follows whether stderr is a terminal,
// which the build server's is not.

// Local preprocessing: plan.preprocess_args, then "-o <preprocessed_output_path>", or nothing
// for "-" (the preprocessed unit goes to stdout). Writes plan.depfile if there is one; its
// stderr is part of the command's diagnostics. A failure means: run the original command
// locally instead (its diagnostics are the authoritative ones).
std::vector<std::string> preprocess_command(const CompilePlan& plan,
                                            const std::string& preprocessed_output_path);

// The file name (no directory) to give the preprocessed unit on the build server.
// gcc, and clang with full preprocessing, take the source name from the unit's line markers:
// any name works (verified byte for byte), and this returns "<input file name>.sccache.<i|ii|
// mi|mii>". clang in rewrite-includes mode compiles the unit as source: its object's STT_FILE
// symbol is the compiled file's name, so the unit must carry the input's own file name (in a
// directory of the caller's choosing); this returns it.
std::string preprocessed_file_name(const CompilePlan& plan);

// Remote compile of the preprocessed unit, in the same working-directory path as the original
// command:
//   full preprocessing:  -x <lang>-cpp-output -c <file> -o <output> <remote_args...>
//   rewrite, gcc:        -x <lang> -fdirectives-only -fpreprocessed -c <file> -o <output> ...
//   rewrite, clang:      -x <lang> -c <file> -o <output> <remote_args, with -D/-U/-undef>
// ("<lang>-cpp-output" is "cpp-output" for C.) Writes exactly plan.outputs.
// Preconditions: `preprocessed_input_path` does not start with '-'; in clang's rewrite mode its
// file name is preprocessed_file_name(plan) (std::invalid_argument otherwise).
std::vector<std::string> remote_compile_command(const CompilePlan& plan,
                                                const std::string& preprocessed_input_path);

}  // namespace sccache::compiler
