// One job from start to end: scratch directory, private mount namespace thread, overlay, bwrap,
// timeout, outputs.
//
// Threads: any number of run_job() calls may run at once; each uses its own thread and
// directory. Failure: SandboxError for infrastructure problems (bad job, mount, bwrap's own
// errors, timeout); the job directory is removed in every case.
#pragma once

#include <filesystem>
#include <memory>

#include "sccache/sandbox.hpp"

namespace spdlog {
class logger;
}

namespace sccache::sandbox_bwrap {

struct JobContext {
  std::filesystem::path bwrap;
  bool clearenv = true;  // bwrap >= 0.5 understands --clearenv
  std::filesystem::path builds_dir;
  std::shared_ptr<spdlog::logger> logger;
};

// `toolchain_dir` must stay in place until this returns (the caller holds a lease).
SandboxResult run_job(const JobContext& context, const std::filesystem::path& toolchain_dir,
                      const SandboxJob& job);

}  // namespace sccache::sandbox_bwrap
