// What check_ready() does, in order: the engine answers and speaks API 1.41 or later; whatever an
// earlier run of this server left on the engine (containers and images with its owner label) is
// removed; then a probe container runs the helper as the job's user with the job's isolation and
// limits, so a setup that cannot run jobs is reported at start with the engine's words.
//
// Threads: call once, before any job. Failure: SandboxError an operator can act on.
#pragma once

#include <memory>
#include <string_view>

#include "sandbox-docker/docker_config.hpp"
#include "sandbox-docker/engine_api.hpp"

namespace sccache::sandbox_docker {

EngineVersion require_engine(const EngineApi& engine);

// Returns how many containers and images were removed.
std::pair<size_t, size_t> remove_leftovers(const EngineApi& engine);

void probe_job_container(const EngineApi& engine, const DockerConfig& config,
                         std::string_view helper);

}  // namespace sccache::sandbox_docker
