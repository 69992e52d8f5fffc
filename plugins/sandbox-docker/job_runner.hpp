// One job in one container: take a warm container, stream the job in, read the reply, discard
// the container. A job that outlives its timeout has its container killed before run_job()
// returns.
//
// Threads: thread-safe (the pool and engine are). Failure: SandboxError for infrastructure
// problems (timeout, a job the helper could not start, the engine failing); a compile error is a
// result.
#pragma once

#include <memory>
#include <string>

#include "sccache/sandbox.hpp"

#include "sandbox-docker/container_pool.hpp"
#include "sandbox-docker/docker_config.hpp"
#include "sandbox-docker/engine_api.hpp"
#include "sandbox-docker/job_request.hpp"

namespace sccache::sandbox_docker {

struct JobContext {
  const EngineApi& engine;
  ContainerPool& pool;
  const DockerConfig& config;
  std::shared_ptr<spdlog::logger> logger;
};

// Runs `job` (validated into `paths`) in a container of `image`.
SandboxResult run_job(const JobContext& context, const std::string& image, const SandboxJob& job,
                      const JobPaths& paths);

}  // namespace sccache::sandbox_docker
