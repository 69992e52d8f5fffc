// The remote path of a compile, from a distributable plan to a reply: toolchain, preprocess
// (unless the caller already did), job, cluster, outputs in place, statistics.
//
// Threads: any number at once on one context. Failure: DistFailure for what the cluster could
// not do (the caller compiles locally); a reply of kind run_locally when the code does not
// preprocess, the compiler is no_dist, or the cluster is full and this machine has a free CPU
// (the reply then holds that CPU's slot).
#pragma once

#include "client/compile/pipeline.hpp"
#include "client/compile/plan.hpp"
#include "client/compile/preprocess.hpp"
#include "client/compile/request.hpp"

namespace sccache {

// `given`: the unit, when the caller preprocessed already (it is moved from); else nullptr.
CompileReply compile_remotely(const PlannedCompile& planned, const CompileRequest& request,
                              ClientContext& context, PreprocessedUnit* given = nullptr);

}  // namespace sccache
