// Stage 4 of a remote compile: the outputs go where the compiler would have written them, and
// the reply is what the compiler would have printed: the preprocessor's diagnostics, then the
// remote compile's, its stdout, its exit code.
//
// Threads: any number at once (each on its own outputs). Failure: std::filesystem::filesystem_error
// when an output cannot be put in place (the caller then compiles locally, which rewrites them).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "client/compile/plan.hpp"
#include "client/compile/remote_executor.hpp"
#include "client/compile/request.hpp"

namespace sccache {

// Moves each output the remote compile produced from under `outcome.outputs_root` to its path
// (relative to `request.cwd`); an output it did not produce is left alone, as a local compile
// would. Returns the paths installed. Readers never see a partial output.
std::vector<std::filesystem::path> install_outputs(const PlannedCompile& planned,
                                                   const RemoteOutcome& outcome,
                                                   const CompileRequest& request);

CompileReply deliver(const PlannedCompile& planned, std::string preprocess_diagnostics,
                     RemoteOutcome&& outcome, const CompileRequest& request);

}  // namespace sccache
