#include "client/toolchain/archive_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <thread>

#include <fmt/format.h>

#include "util/sha256.hpp"
#include "util/tar.hpp"
#include "util/unique_fd.hpp"

namespace sccache::toolchain {

ArchiveResult write_archive(const std::vector<ManifestEntry>& entries,
                            const std::filesystem::path& out) {
  util::UniqueFd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    throw ToolchainError(fmt::format("cannot create {}: {}", out.string(), std::strerror(errno)));
  }
  // The archive is hashed while it streams to disk; nothing is held in memory.
  util::Sha256 hash;
  uint64_t size = 0;
  auto sink = [&](const void* data, size_t length) {
    hash.update(data, length);
    const char* bytes = static_cast<const char*>(data);
    size_t left = length;
    while (left > 0) {
      ssize_t n = ::write(fd.get(), bytes, left);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        throw ToolchainError(fmt::format("cannot write {}: {}", out.string(),
                                         n < 0 ? std::strerror(errno) : "the disk is full"));
      }
      bytes += n;
      left -= static_cast<size_t>(n);
    }
    size += length;
  };
  try {
    // Multi-threaded zstd gives the same bytes for any number of threads >= 1.
    util::TarWriter writer(
        sink, {util::Compression::zstd, 3, std::max(1u, std::thread::hardware_concurrency())});
    for (const auto& entry : entries) {
      switch (entry.kind) {
        case ManifestEntry::Kind::directory:
          writer.add_directory(entry.archive_path, entry.mode);
          break;
        case ManifestEntry::Kind::symlink:
          writer.add_symlink(entry.archive_path, entry.link_target);
          break;
        case ManifestEntry::Kind::file:
          writer.add_file_from(entry.archive_path, entry.mode, entry.host_path);
          break;
      }
    }
    writer.finish();
  } catch (const util::ArchiveError& e) {
    throw ToolchainError(e.what());
  }
  if (::close(fd.release()) != 0) {
    throw ToolchainError(fmt::format("cannot write {}: {}", out.string(), std::strerror(errno)));
  }
  return {hash.hex_digest(), size};
}

}  // namespace sccache::toolchain
