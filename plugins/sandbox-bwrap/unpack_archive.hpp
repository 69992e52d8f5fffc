// Secure extraction of a toolchain archive with libarchive.
#pragma once

#include <filesystem>

namespace sccache::sandbox_bwrap {

// Extracts a tar (compressed or not: libarchive detects zstd, gzip, ...) into the existing empty
// directory `dest`. Refuses entries that are absolute, contain "..", or would be written through
// a symlink; keeps permissions and symlinks; never sets owners from the archive.
// Threads: runs the extraction on its own thread (which changes only its own cwd to `dest`), so
// any number may run at once. Failure: SandboxError naming the archive (and entry); `dest` may be
// partly filled, the caller removes it.
void unpack_archive(const std::filesystem::path& archive, const std::filesystem::path& dest);

}  // namespace sccache::sandbox_bwrap
