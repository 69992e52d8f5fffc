// Depend mode (ccache's): a cache miss that compiles here anyway runs no preprocessor. The
// compile itself lists what it read: a complete depfile (the command's own -MD one, or one added
// for the purpose) or, for gcc with -MMD, its -H include trace (cache/include_trace.hpp) plus
// the files it reads unasked (stdc-predef.h); the result is keyed by the direct key plus every file
// that depfile lists with its digest (cache_key.hpp depend_key), behind a manifest entry: only
// direct-mode lookups find it. This saves the preprocessor run that preprocessed mode pays on every
// miss.
//
// Threads: any number at once. Failure: as compile_here (util::SpawnError).
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "client/cache/cache_config.hpp"
#include "client/compile/plan.hpp"
#include "client/compile/request.hpp"

namespace sccache {

// Whether `planned` may take depend mode: the config allows it (cache_config.hpp), the compile
// will not go to the cluster (which needs the unit anyway), the command's own depfile, if any,
// is complete (-MD) or the compiler is gcc (-MMD, -Wp,: traced with -H, unless the command has
// its own -H), and without one nothing records the command line (-frecord-gcc-switches,
// -grecord-command-line: an added -MD would change the object).
bool depend_mode_applies(const PlannedCompile& planned, const cache::CacheConfig& config);

struct DependCompile {
  CompileReply reply;  // as compile_here's
  // What the compile read, from the depfile; nullopt when the compile failed or the depfile
  // cannot be read or parsed (then nothing is stored).
  std::optional<std::vector<std::filesystem::path>> files;
};

// Compiles here (planned.plan set) with a complete depfile: the command's own, or one added in
// the request's TMPDIR (else the server's), removed before this returns, never among
// reply.outputs.
DependCompile compile_with_depfile(const PlannedCompile& planned, const CompileRequest& request);

}  // namespace sccache
