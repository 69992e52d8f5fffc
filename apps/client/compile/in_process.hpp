// `sccache <compiler> <args>` run entirely in this process: the request is made from this
// process's argv, working directory, environment and terminal (the only place the pipeline's
// inputs come from globals), the reply is printed, and a local compile runs here with this
// process's stdio.
#pragma once

#include <string>
#include <vector>

namespace sccache {

// `compiler_argv[0]` names the compiler (a name found in PATH, or a path). The exit code.
int compile_in_process(const std::vector<std::string>& compiler_argv);

}  // namespace sccache
