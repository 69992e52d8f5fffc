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

#include "sandbox-docker/engine_client.hpp"
#include "sandbox-docker/helper_protocol.hpp"

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

// What a reply is checked against: the contract's output limits (tests may lower them).
struct ReplyLimits {
  uint64_t memory = 0;                                 // [builder] memory; only named in the error
  uint64_t output_file = protocol::k_max_output_file;  // one output
  uint64_t output_total = protocol::k_max_outputs;     // all outputs together
};

// Reads the job's reply: stdout, stderr, the exit status, and the outputs, which are written to
// `outputs_root/<job path>` (only paths in `outputs`, each once; an output over a limit is
// refused before anything of it is written). SandboxError, naming the limit, for an output over
// a limit, a job killed by the kernel for exceeding its memory limit or for writing a file over
// the container's RLIMIT_FSIZE (k_max_outputs).
SandboxResult read_job_reply(AttachedConnection& connection,
                             const std::vector<std::string>& outputs,
                             const std::filesystem::path& outputs_root, const ReplyLimits& limits,
                             Clock::time_point deadline);

}  // namespace sccache::sandbox_docker
