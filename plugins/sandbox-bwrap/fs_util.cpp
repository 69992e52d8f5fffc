#include "fs_util.hpp"

#include <atomic>
#include <chrono>
#include <sys/random.h>

namespace sccache::sandbox_bwrap {

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t filled = 0;
  while (filled < bytes) {
    ssize_t n = ::getrandom(raw.data() + filled, bytes - filled, 0);
    if (n <= 0) {
      break;
    }
    filled += static_cast<size_t>(n);
  }
  if (filled < bytes) {  // no getrandom: still unique within this process
    static std::atomic<uint64_t> counter{0};
    uint64_t mix =
        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
        (++counter * 0x9e3779b97f4a7c15ULL);
    for (size_t i = 0; i < bytes; ++i) {
      raw[i] = static_cast<char>(mix >> (8 * (i % 8)));
    }
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : raw) {
    hex += digits[c >> 4];
    hex += digits[c & 15];
  }
  return hex;
}

std::string remove_tree(const std::filesystem::path& path) noexcept {
  try {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    return ec ? ec.message() : "";
  } catch (const std::exception& e) {  // bad_alloc
    return e.what();
  }
}

}  // namespace sccache::sandbox_bwrap
