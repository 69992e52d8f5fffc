// The two commands of a remote compile, as argument vectors without the compiler path (run them
// with the same compiler executable, in the same working directory path).
#pragma once

#include <string>
#include <vector>

#include "compiler/analyze.hpp"

namespace sccache::compiler {

// Local preprocessing: plan.preprocess_args, then "-o <preprocessed_output_path>", or nothing
// for "-" (the preprocessed unit goes to stdout). Writes plan.depfile if there is one; its
// stderr is part of the command's diagnostics. A failure means: run the original command
// locally instead.
std::vector<std::string> preprocess_command(const CompilePlan& plan,
                                            const std::string& preprocessed_output_path);

// Remote compile of the preprocessed unit, in the same working-directory path as the original
// command:
//   full preprocessing:  -x <lang>-cpp-output -c <file> -o <output> <remote_args...>
//   rewrite, gcc:        -x <lang> -fdirectives-only -fpreprocessed -c <file> -o <output> ...
//   rewrite, clang:      -x <lang> -c <file> -o <output> <remote_args incl. -D/-U...>
// (lang-cpp-output is "cpp-output" for C.) Writes plan.outputs. Nothing in the object depends
// on the preprocessed file's own name (the line markers carry the source's), except clang's
// debug info in rewrite mode (see the tests). `preprocessed_input_path` must not start with '-'.
std::vector<std::string> remote_compile_command(const CompilePlan& plan,
                                                const std::string& preprocessed_input_path);

}  // namespace sccache::compiler
