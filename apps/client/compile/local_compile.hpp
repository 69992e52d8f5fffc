// A local compile run by the caller (the local server) rather than by the wrapper: what a cache
// miss that does not go to the cluster needs, to keep the outputs. The compiler runs with the
// request's cwd and environment, stdin from /dev/null (a cacheable command never reads it),
// and its stdout and stderr captured; colours as on the wrapper's terminal.
//
// Threads: any number at once. Failure: util::SpawnError when the compiler cannot start.
#pragma once

#include <string>

#include "client/compile/plan.hpp"
#include "client/compile/request.hpp"

namespace sccache {

// Runs `planned.argv` (planned.plan must be set); the reply is `compiled`, with the outputs the
// compiler wrote (the object, the depfile).
CompileReply compile_here(const PlannedCompile& planned, const CompileRequest& request);

// Whether diagnostics should be coloured for this request: its stderr is a terminal (and TERM
// is not "dumb") and the command does not choose itself.
bool wants_colour(const PlannedCompile& planned, const CompileRequest& request);

// `text` without ANSI colour sequences (ESC [ ... m/K), for a coloured entry replayed to a file.
std::string strip_colours(std::string_view text);

}  // namespace sccache
