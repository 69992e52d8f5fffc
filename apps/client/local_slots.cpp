#include "client/local_slots.hpp"

#include <algorithm>
#include <string>
#include <unistd.h>

namespace sccache {

std::optional<LocalSlot> LocalSlot::try_acquire(const std::filesystem::path& dir, unsigned slots) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  // Start at a pid-dependent slot so concurrent processes do not all probe slot 0 first.
  const unsigned count = std::max(1u, slots);
  const unsigned first = static_cast<unsigned>(::getpid()) % count;
  for (unsigned i = 0; i < count; ++i) {
    try {
      if (auto lock =
              util::FileLock::try_acquire(dir / ("local-" + std::to_string((first + i) % count)))) {
        return LocalSlot(std::move(*lock));
      }
    } catch (const std::runtime_error&) {  // cannot open this slot's file: try the next
    }
  }
  return std::nullopt;
}

}  // namespace sccache
