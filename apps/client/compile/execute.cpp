#include "client/compile/execute.hpp"

#include <spdlog/spdlog.h>

#include "util/fs.hpp"

#include "client/fallback_reason.hpp"

namespace sccache {
namespace fs = std::filesystem;

namespace {

Execution execute_once(RemoteExecutor& cluster, const RemoteJob& job, const fs::path& outputs_root,
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

// Empties `dir` (keeping it): a failed attempt's partial outputs must not reach a later one.
void empty_directory(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    util::remove_tree(entry.path());
  }
}

}  // namespace

Execution execute_remote(RemoteExecutor& cluster, const RemoteJob& job,
                         const fs::path& outputs_root,
                         const std::function<std::optional<LocalSlot>()>& free_local_slot,
                         std::chrono::milliseconds queue_wait,
                         const std::function<void(FallbackReason)>& on_retry) {
  for (int attempt = 1;; ++attempt) {
    try {
      return execute_once(cluster, job, outputs_root, free_local_slot, queue_wait);
    } catch (const DistFailure& failure) {
      if (attempt >= k_max_remote_attempts || !worth_retrying_elsewhere(failure.reason())) {
        throw;
      }
      spdlog::info("remote attempt {} failed ({}: {}); trying another server", attempt,
                   to_string(failure.reason()), failure.what());
      empty_directory(outputs_root);
      if (on_retry) {
        on_retry(failure.reason());
      }
    }
  }
}

}  // namespace sccache
