#include "local_slots.hpp"

#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <unistd.h>

namespace sccache {

std::optional<LocalSlot> LocalSlot::try_acquire(const std::filesystem::path& dir, unsigned slots) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  // Start at a pid-dependent slot so concurrent processes do not all probe slot 0 first.
  const unsigned first = static_cast<unsigned>(::getpid()) % std::max(1u, slots);
  for (unsigned i = 0; i < slots; ++i) {
    const auto path = dir / ("local-" + std::to_string((first + i) % slots));
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      continue;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      return LocalSlot(fd);
    }
    ::close(fd);
  }
  return std::nullopt;
}

LocalSlot::~LocalSlot() {
  if (m_fd >= 0) {
    ::close(m_fd);  // releases the flock
  }
}

}  // namespace sccache
