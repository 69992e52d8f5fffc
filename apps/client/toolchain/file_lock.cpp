#include "file_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>

#include <fmt/format.h>

#include "toolchain.hpp"

namespace sccache::toolchain {

FileLock::FileLock(const std::filesystem::path& file)
    : m_fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
  if (!m_fd.valid()) {
    throw ToolchainError(
        fmt::format("cannot open lock {}: {}", file.string(), std::strerror(errno)));
  }
  while (::flock(m_fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) {
      throw ToolchainError(fmt::format("cannot lock {}: {}", file.string(), std::strerror(errno)));
    }
  }
}

}  // namespace sccache::toolchain
