// An exclusive flock() on a lock file, held until destruction.
//
// flock locks belong to the open file description, so they exclude other processes and also
// other FileLocks of the same process (each opens the file anew). Blocks until acquired; the lock
// dies with the process, so a crashed holder never wedges the others. The lock file is created
// if needed and never removed (it is empty).
// Failure: ToolchainError if the file cannot be opened or locked.
#pragma once

#include <filesystem>

#include "unique_fd.hpp"

namespace sccache::toolchain {

class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& file);
  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;

 private:
  UniqueFd m_fd;  // closing it releases the lock
};

}  // namespace sccache::toolchain
