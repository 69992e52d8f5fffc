// A file's identity and version as one stat() sees them, for plugins that re-read a file when it
// changes (keys, token lists) and check on every use: a file replaced by rename gets a new inode,
// one rewritten in place a new size or modification time.
//
// Threads: a plain value; of() is safe to call from any thread.
#pragma once

#include <filesystem>
#include <optional>
#include <sys/stat.h>

namespace sccache {

struct FileStamp {
  ino_t inode = 0;
  off_t size = -1;
  timespec mtime{};
  bool regular = false;  // a regular file (not a directory, FIFO or device)

  // The stamp of `path` (symlinks followed); nullopt, with errno set, if it cannot be stat'ed.
  static std::optional<FileStamp> of(const std::filesystem::path& path);
  bool operator==(const FileStamp& other) const noexcept;
};

}  // namespace sccache
