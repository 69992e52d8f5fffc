// An flock() on a lock file, held until destruction.
//
// flock locks belong to the open file description, so they exclude other processes and also
// other FileLocks of the same process (each opens the file anew). The lock dies with the process,
// so a crashed holder never wedges the others. The lock file is created if needed and never
// removed (it is empty).
// Threads: one owner at a time. Failure: std::runtime_error if the file cannot be opened or locked.
#pragma once

#include <filesystem>
#include <optional>

#include "util/unique_fd.hpp"

namespace util {

enum class LockMode { exclusive, shared };

class FileLock {
 public:
  // Blocks until the lock is held.
  explicit FileLock(const std::filesystem::path& file, LockMode mode = LockMode::exclusive);
  // The lock if it is free right now, else nullopt (never blocks). Throws only if the file
  // cannot be opened.
  static std::optional<FileLock> try_acquire(const std::filesystem::path& file,
                                             LockMode mode = LockMode::exclusive);
  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;

  // The locked file's descriptor (to read or write what the lock guards).
  int fd() const noexcept { return m_fd.get(); }

 private:
  explicit FileLock(UniqueFd fd) : m_fd(std::move(fd)) {}
  UniqueFd m_fd;  // closing it releases the lock
};

}  // namespace util
