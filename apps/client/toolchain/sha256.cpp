#include "sha256.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

#include "toolchain.hpp"
#include "unique_fd.hpp"

namespace sccache::toolchain {

std::string sha256_hex(std::string_view data) {
  Sha256 hash;
  hash.update(data.data(), data.size());
  return hash.hex_digest();
}

std::string sha256_file_hex(const std::filesystem::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    throw ToolchainError(fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
  }
  Sha256 hash;
  std::vector<char> buffer(1 << 16);
  while (true) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw ToolchainError(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
    }
    if (n == 0) {
      break;
    }
    hash.update(buffer.data(), static_cast<size_t>(n));
  }
  return hash.hex_digest();
}

}  // namespace sccache::toolchain
