// Writes a toolchain archive: a deterministic pax (restricted) tar, zstd level 3.
//
// Entries are written in the order given (ManifestBuilder sorts them), with mtime 0, uid/gid 0,
// no user/group names and permission bits only, so the same entries and file contents give the
// same bytes. The archive is hashed while it streams to disk; nothing is held in memory.
// Threads: no shared state. Failure: ToolchainError (unreadable host file, a file that changes
// size while read, libarchive or write errors); `out` may then hold a partial archive, which the
// caller removes (write to a temp name).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "client/toolchain/toolchain.hpp"

namespace sccache::toolchain {

struct ArchiveResult {
  std::string id;     // lowercase hex SHA-256 of the archive bytes
  uint64_t size = 0;  // bytes written
};

// Creates (or truncates) `out` with mode 0644.
ArchiveResult write_archive(const std::vector<ManifestEntry>& entries,
                            const std::filesystem::path& out);

}  // namespace sccache::toolchain
