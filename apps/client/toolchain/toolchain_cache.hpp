// The client's on-disk toolchain cache under `<dist cache_dir>/client`:
//
//   tc/<id>.tar.zst        archives, a util::LruDirStore: mtime = last use, total kept within
//                          max_bytes (tc/.tmp-* being written, tc/.lock held while evicting)
//   compilers/<key>        weak-key index: "archive <id> <size>" or "too-large - <size>"
//   locks/<key>            flock files: one packager per key
//
// A weak key names a file cheaply (path as invoked, realpath, dev, inode, size, mtime_ns): no
// hashing of contents, so a lookup is a few stats and one small read. Index entries are written
// via temp file + rename; one pointing at an evicted archive is simply a miss.
// Threads and processes: all methods may run concurrently in many processes; readers never see a
// partial file. Serialising the packaging of one key is the caller's job (lock()).
// Failure: ToolchainError on I/O errors; ToolchainTooLarge from commit_archive().
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/file_lock.hpp"
#include "util/lru_dir_store.hpp"

namespace sccache::toolchain {

struct IndexRecord {
  enum class Kind { archive, too_large };
  Kind kind = Kind::archive;
  std::string id;  // archive only: 64 lowercase hex digits
  uint64_t size = 0;
};

// The hex SHA-256 naming the weak key of `file` (stat follows symlinks) for `invoked` (the path
// the user gave) under `purpose` ("compiler", "override"). Throws ToolchainError if `file` cannot
// be stat'ed.
std::string weak_key(std::string_view purpose, const std::filesystem::path& invoked,
                     const std::filesystem::path& file);

class ToolchainCache {
 public:
  // Touches nothing on disk; directories are created when first written to.
  ToolchainCache(std::filesystem::path root, uint64_t max_bytes);

  uint64_t max_bytes() const { return m_archives.max_bytes(); }

  // nullopt when absent or unreadable/malformed.
  std::optional<IndexRecord> read_index(const std::string& key) const;
  void write_index(const std::string& key, const IndexRecord& record);

  std::filesystem::path archive_path(const std::string& id) const;
  // Marks the archive as just used; false if it is not there (evicted).
  bool touch_archive(const std::string& id) const;

  // Holds the packaging lock of `key` until destroyed.
  util::FileLock lock(const std::string& key);

  // A new, empty, uniquely named file in tc/ to write an archive into.
  std::filesystem::path new_temp_archive();
  // Renames `temp` to tc/<id>.tar.zst, then evicts the least recently used other archives until
  // the total is within max_bytes. If `size` alone exceeds max_bytes, removes `temp` and throws
  // ToolchainTooLarge instead.
  std::filesystem::path commit_archive(const std::filesystem::path& temp, const std::string& id,
                                       uint64_t size);
  // Evicts as above, never removing `keep_id`; also removes temp files older than an hour.
  void evict(const std::string& keep_id);
  // Bytes of all archives (not temp files) now in tc/.
  uint64_t total_bytes() const;

 private:
  void ensure_directories();

  std::filesystem::path m_root;
  util::LruDirStore m_archives;
};

}  // namespace sccache::toolchain
