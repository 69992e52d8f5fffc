// A job as the helper receives it (helper_protocol.hpp): the command, then the input tree read
// from inputs_root, then the directories for the cwd and the outputs.
//
// Threads: no shared state. Failure: SandboxError (bad job fields, unreadable inputs); writing
// to the container can also throw EngineTimeout.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sccache/sandbox.hpp"

#include "sandbox-docker/engine_client.hpp"

namespace sccache::sandbox_docker {

// A job's validated, normalized paths.
struct JobPaths {
  std::string cwd;
  std::vector<std::string> outputs;  // absolute, without duplicates, in the job's order
};

// Checks the fields the sandbox relies on (absolute executable and cwd, no NUL bytes, an
// existing inputs_root, an outputs_root) and normalizes the paths.
JobPaths validate_job(const SandboxJob& job);

struct JobUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

// Where a request goes, in pieces of at most a few hundred KiB.
using RequestSink = std::function<void(const char* data, size_t size)>;

// Writes the request for `job`, run as `user`, to `sink`.
void write_job_request(const RequestSink& sink, const SandboxJob& job, const JobPaths& paths,
                       const JobUser& user);

// Streams the request for `job`, run as `user`, to the helper waiting on `connection`.
void send_job_request(AttachedConnection& connection, const SandboxJob& job, const JobPaths& paths,
                      const JobUser& user, Clock::time_point deadline);

}  // namespace sccache::sandbox_docker
