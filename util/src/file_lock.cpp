#include "util/file_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/file.h>

namespace util {
namespace {

UniqueFd open_lock_file(const std::filesystem::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    throw std::runtime_error("cannot open lock " + file.string() + ": " + std::strerror(errno));
  }
  return fd;
}

int operation(LockMode mode) {
  return mode == LockMode::exclusive ? LOCK_EX : LOCK_SH;
}

}  // namespace

FileLock::FileLock(const std::filesystem::path& file, LockMode mode) : m_fd(open_lock_file(file)) {
  while (::flock(m_fd.get(), operation(mode)) != 0) {
    if (errno != EINTR) {
      throw std::runtime_error("cannot lock " + file.string() + ": " + std::strerror(errno));
    }
  }
}

std::optional<FileLock> FileLock::try_acquire(const std::filesystem::path& file, LockMode mode) {
  UniqueFd fd = open_lock_file(file);
  if (::flock(fd.get(), operation(mode) | LOCK_NB) != 0) {
    return std::nullopt;
  }
  return FileLock(std::move(fd));
}

}  // namespace util
