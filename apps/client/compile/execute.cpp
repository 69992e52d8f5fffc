#include "client/compile/execute.hpp"

#include "client/fallback_reason.hpp"

namespace sccache {

Execution execute_remote(RemoteExecutor& cluster, const RemoteJob& job,
                         const std::filesystem::path& outputs_root,
                         const std::function<std::optional<LocalSlot>()>& free_local_slot,
                         std::chrono::milliseconds queue_wait) {
  Execution execution;
  try {
    execution.outcome = cluster.run(job, outputs_root, std::chrono::milliseconds(0));
    return execution;
  } catch (const DistFailure& failure) {
    if (failure.reason() != FallbackReason::no_capacity) {
      throw;
    }
  }
  if ((execution.local_slot = free_local_slot())) {
    return execution;
  }
  execution.outcome = cluster.run(job, outputs_root, queue_wait);
  return execution;
}

}  // namespace sccache
