// `sccache <compiler> <args>`: compile remotely when the cluster can help, locally otherwise,
// with the same object, depfile, diagnostics and exit code either way.
#pragma once

#include <string>
#include <vector>

namespace sccache {

// `compiler_argv[0]` names the compiler (a name found in PATH, or a path); the rest are its
// arguments. Returns the exit code to exit with.
int run_compiler(const std::vector<std::string>& compiler_argv);

}  // namespace sccache
