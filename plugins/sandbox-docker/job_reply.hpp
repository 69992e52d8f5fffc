// Reading the helper's reply (helper_protocol.hpp) from a job container's attached stream.
//
// Threads: no shared state. Failure: SandboxError; EngineTimeout when the deadline passes;
// ContainerGone when the container ended before it said anything (it died while it waited in the
// pool, so the job may be retried in a fresh one).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "sccache/sandbox.hpp"

#include "engine_client.hpp"
#include "helper_protocol.hpp"

namespace sccache::sandbox_docker {

class ContainerGone : public SandboxError {
 public:
  using SandboxError::SandboxError;
};

// At most this much of stdout and of stderr is kept, in all; a job writing more is a sandbox
// failure (its helper kills it).
inline constexpr size_t k_max_captured_output = protocol::k_max_job_stream;

// Waits for the helper's "ready" record (a fresh container).
void wait_until_ready(AttachedConnection& connection, Clock::time_point deadline);

// Reads the job's reply: stdout, stderr, the exit status, and the outputs, which are written to
// `outputs_root/<job path>` (only paths in `outputs`, each once). A job the kernel killed for
// exceeding its memory limit is a SandboxError naming `memory_limit`.
SandboxResult read_job_reply(AttachedConnection& connection,
                             const std::vector<std::string>& outputs,
                             const std::filesystem::path& outputs_root, uint64_t memory_limit,
                             Clock::time_point deadline);

}  // namespace sccache::sandbox_docker
