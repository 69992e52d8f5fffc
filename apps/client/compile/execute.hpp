// Stage 3b of a remote compile: run the job on the cluster. When the cluster is full, a free CPU
// of this machine takes the job instead; with none free, the job waits at the scheduler.
//
// Threads: any number at once. Failure: DistFailure for every reason the cluster could not help.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>

#include "client/compile/remote_executor.hpp"
#include "client/local_slots.hpp"

namespace sccache {

struct Execution {
  std::optional<RemoteOutcome> outcome;  // the remote result, or else:
  std::optional<LocalSlot> local_slot;   // the cluster is full: compile locally, holding this
};

// `free_local_slot` answers a free CPU slot of this machine (never blocks). `queue_wait`: how
// long to wait at the scheduler when neither the cluster nor this machine has room.
Execution execute_remote(RemoteExecutor& cluster, const RemoteJob& job,
                         const std::filesystem::path& outputs_root,
                         const std::function<std::optional<LocalSlot>()>& free_local_slot,
                         std::chrono::milliseconds queue_wait);

}  // namespace sccache
