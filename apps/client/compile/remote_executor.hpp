// The cluster as the compile pipeline sees it: one remote job in, its result out. DistClient
// (client/dist_client.hpp) is the real one; unit tests stand in their own.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "util/tar.hpp"

#include "common/wire.hpp"

namespace sccache {

struct RemoteJob {
  std::string toolchain_id;
  std::filesystem::path toolchain_archive;
  wire::JobCommand command;            // toolchain_id is filled in from the field above
  std::vector<util::TarEntry> inputs;  // named by absolute job path
};

struct RemoteOutcome {
  std::string server_id;
  wire::JobResult result;
  // Where the outputs were extracted: job path /a/b.o is at outputs_root/a/b.o.
  std::filesystem::path outputs_root;
  // Where the time went, as this side saw it, in ms: "alloc" (the scheduler), "upload" (the
  // toolchain, when the server lacked it), "run" (the job request and its reply).
  std::map<std::string, double> timings_ms;
};

// Threads: run() may be called from many threads at once.
class RemoteExecutor {
 public:
  virtual ~RemoteExecutor() = default;
  // Runs `job` remotely, extracting outputs under `outputs_root`. With `queue_wait` > 0 the
  // scheduler may hold the allocation that long for a free slot. Throws DistFailure
  // (client/fallback_reason.hpp) for every reason the cluster could not help, having told the
  // scheduler of a server that failed the job (so it is backed off before the next
  // allocation); a compile error in the user's code is a result with a non-zero exit code, not
  // a failure.
  virtual RemoteOutcome run(const RemoteJob& job, const std::filesystem::path& outputs_root,
                            std::chrono::milliseconds queue_wait) = 0;
};

}  // namespace sccache
