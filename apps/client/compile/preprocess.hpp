// Stage 2 of a remote compile: preprocess here, so headers never leave this machine and the
// depfile (if any) is written now, exactly as the original command would write it.
//
// Threads: runs the preprocessor as a child process with the request's cwd and environment;
// any number may run at once. Failure: util::SpawnError if the compiler cannot start.
#pragma once

#include <filesystem>
#include <string>

#include "client/compile/plan.hpp"
#include "client/compile/request.hpp"

namespace sccache {

struct PreprocessedUnit {
  int exit_code = 0;        // the preprocessor's (128 + signal when killed)
  std::string text;         // the unit
  std::string diagnostics;  // its stderr: part of the compile's diagnostics
  // Where the unit goes in the job's tree. clang in rewrite-includes mode names debug info and
  // the file symbol after the unit itself, so it takes the source's own path (clang quotes
  // diagnostics from the unit, so the source is not needed there); otherwise it sits beside the
  // source, which stays available for gcc to quote in diagnostics.
  std::filesystem::path job_path;
};

// `planned.plan` must be set.
PreprocessedUnit preprocess(const PlannedCompile& planned, const CompileRequest& request);

}  // namespace sccache
