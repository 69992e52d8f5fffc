// The client machine as one more build host: one slot per local CPU, shared by every sccache
// process of the user through flock'ed files. When the cluster has no free slot, a compile takes
// a free local slot if there is one, and otherwise queues at the scheduler.
#pragma once

#include <filesystem>
#include <optional>

namespace sccache {

class LocalSlot {
 public:
  // A free slot under `dir`, or nullopt if every slot is taken right now (never blocks).
  static std::optional<LocalSlot> try_acquire(const std::filesystem::path& dir, unsigned slots);
  LocalSlot(LocalSlot&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
  LocalSlot& operator=(LocalSlot&&) = delete;
  ~LocalSlot();

 private:
  explicit LocalSlot(int fd) : m_fd(fd) {}
  int m_fd;
};

}  // namespace sccache
