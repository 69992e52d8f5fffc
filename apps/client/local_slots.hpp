// The client machine as one more build host: one slot per local CPU, shared by every sccache
// process of the user through flock'ed files. When the cluster has no free slot, a compile takes
// a free local slot if there is one, and otherwise queues at the scheduler.
//
// Threads and processes: any number may try at once; each slot has at most one holder.
#pragma once

#include <filesystem>
#include <optional>

#include "util/file_lock.hpp"

namespace sccache {

class LocalSlot {
 public:
  // A free slot under `dir`, or nullopt if every slot is taken right now (never blocks; a
  // directory that cannot be used counts as no free slot).
  static std::optional<LocalSlot> try_acquire(const std::filesystem::path& dir, unsigned slots);

 private:
  explicit LocalSlot(util::FileLock lock) : m_lock(std::move(lock)) {}
  util::FileLock m_lock;  // released with the slot
};

}  // namespace sccache
