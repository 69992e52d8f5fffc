#include "sandbox-docker/job_runner.hpp"

#include <chrono>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sandbox-docker/job_reply.hpp"

namespace sccache::sandbox_docker {

namespace {

SandboxResult run_in(AttachedConnection& connection, const JobContext& context,
                     const SandboxJob& job, const JobPaths& paths, Clock::time_point deadline) {
  std::optional<std::string> send_failure;
  try {
    send_job_request(connection, job, paths, {context.config.uid, context.config.gid}, deadline);
  } catch (const StreamClosed& e) {
    // The helper may have refused the job and said why; the reply tells.
    send_failure = e.what();
  }
  SandboxResult result = read_job_reply(connection, paths.outputs, job.outputs_root,
                                        {context.config.memory}, deadline);
  if (send_failure) {
    throw SandboxError(*send_failure);
  }
  return result;
}

}  // namespace

SandboxResult run_job(const JobContext& context, const std::string& image, const SandboxJob& job,
                      const JobPaths& paths) {
  const auto start = Clock::now();
  const auto deadline = start + job.timeout;
  for (int attempt = 0;; ++attempt) {
    // A retry runs in a container started now: the pool's may all be dead (see below).
    ContainerPool::Taken taken =
        attempt == 0
            ? context.pool.take(job.toolchain_id, image)
            : ContainerPool::Taken{context.engine.launch_container(image, job.toolchain_id), false};
    const std::string id = taken.container.id;
    const auto taken_at = Clock::now();
    try {
      SandboxResult result = run_in(*taken.container.connection, context, job, paths, deadline);
      result.setup_time = std::chrono::duration_cast<std::chrono::microseconds>(taken_at - start);
      result.command_time =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - taken_at);
      context.pool.discard(id);
      context.logger->debug(
          "job in container {}: exit {} (signal {}) in {} ms, {} of {} outputs collected{}",
          id.substr(0, 12), result.exit_code, result.term_signal,
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count(),
          result.collected.size(), paths.outputs.size(), taken.was_warm ? "" : " (cold start)");
      return result;
    } catch (const EngineTimeout&) {
      context.engine.remove_container(id);  // kills the job now
      throw SandboxError(fmt::format("{} did not finish within {} s and was killed", job.executable,
                                     job.timeout.count()));
    } catch (const ContainerGone& e) {
      context.pool.discard(id);
      if (!taken.was_warm || attempt > 0) {
        throw;
      }
      // What killed it (an engine restart, usually) killed its siblings in the pool as well.
      context.pool.flush(job.toolchain_id);
      context.logger->warn(
          "warm container {} was gone ({}); replacing the warm containers of toolchain {} and "
          "retrying in a fresh one",
          id.substr(0, 12), e.what(), job.toolchain_id);
    } catch (...) {
      context.pool.discard(id);
      throw;
    }
  }
}

}  // namespace sccache::sandbox_docker
