// Job inputs and outputs on the wire: a tar stream compressed with zstd, written and read through
// libarchive without holding the whole archive in memory.
#pragma once

#include <filesystem>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace sccache {

class ArchiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TarEntry {
  std::string name;              // the path in the archive (an absolute job path is fine)
  std::filesystem::path source;  // host file to read, if `contents` is not used
  std::string contents;          // in-memory contents, used when `source` is empty
  unsigned mode = 0644;
};

// Writes `entries` as a zstd-compressed tar (level 1: this is on every job's hot path) to `out`.
// Throws ArchiveError.
void write_tar_zst(std::ostream& out, const std::vector<TarEntry>& entries, int level = 1);

// Extracts a tar stream (any compression libarchive knows) under `root`, refusing absolute paths,
// ".." and symlinks that escape. Only regular files and directories are created. Returns the
// archive paths extracted. Throws ArchiveError; stops with ArchiveError past `max_bytes` of
// extracted data.
std::vector<std::string> extract_tar(std::istream& in, const std::filesystem::path& root,
                                     uint64_t max_bytes);

}  // namespace sccache
