// Stage 3b of a remote compile: run the job on the cluster. When the cluster is full, a free CPU
// of this machine takes the job instead; with none free, the job waits at the scheduler.
//
// A failure worth retrying elsewhere (worth_retrying_elsewhere(): the server gone or unreachable,
// its sandbox or compiler crashed, a broken transfer) is retried, k_max_remote_attempts in all:
// the cluster has already told the scheduler of the failed server (RemoteExecutor::run's
// contract), which backs it off, so the next allocation goes to another server when one has
// room. Whatever a failed attempt left in `outputs_root` is removed before the next.
//
// Threads: any number at once. Failure: DistFailure for every reason the cluster could not help
// (the last attempt's).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>

#include "client/compile/remote_executor.hpp"
#include "client/fallback_reason.hpp"
#include "client/local_slots.hpp"

namespace sccache {

inline constexpr int k_max_remote_attempts = 3;

struct Execution {
  std::optional<RemoteOutcome> outcome;  // the remote result, or else:
  std::optional<LocalSlot> local_slot;   // the cluster is full: compile locally, holding this
};

// `free_local_slot` answers a free CPU slot of this machine (never blocks). `queue_wait`: how
// long to wait at the scheduler when neither the cluster nor this machine has room. `on_retry`
// hears the reason of each failed attempt that is retried (for the statistics).
Execution execute_remote(RemoteExecutor& cluster, const RemoteJob& job,
                         const std::filesystem::path& outputs_root,
                         const std::function<std::optional<LocalSlot>()>& free_local_slot,
                         std::chrono::milliseconds queue_wait,
                         const std::function<void(FallbackReason)>& on_retry = {});

}  // namespace sccache
