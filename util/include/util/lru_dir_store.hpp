// A directory of files kept within a size, least recently used out first, shared safely by
// threads and processes:
//
//   <dir>/<name>          entries (a name may hold '/': "ab/cdef"); mtime = last use
//   <dir>/.tmp-*          files being written, renamed into place when complete
//   <dir>/.lock           flock'ed while evicting
//
// Readers never see a partial entry: writers fill a temp file and rename it into place. A reader
// racing an eviction finds the entry gone (a miss), never damaged. Names starting with '.' are
// the store's own.
// Threads and processes: every method may run concurrently in many processes.
// Failure: std::runtime_error on I/O errors; EntryTooLarge from commit().
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace util {

class EntryTooLarge : public std::runtime_error {
 public:
  EntryTooLarge(uint64_t size, uint64_t max_bytes);
  uint64_t size;
  uint64_t max_bytes;
};

class LruDirStore {
 public:
  // Touches nothing on disk; the directory is created when first written to.
  LruDirStore(std::filesystem::path dir, uint64_t max_bytes);

  const std::filesystem::path& dir() const { return m_dir; }
  uint64_t max_bytes() const { return m_max_bytes; }

  std::filesystem::path path(std::string_view name) const;
  // Marks the entry as just used; false if it is not there.
  bool touch(std::string_view name) const;
  // Removes one entry; false if it was not there.
  bool remove(std::string_view name) const;
  // A new, empty, uniquely named file (mode `mode`) to write an entry into.
  std::filesystem::path new_temp(unsigned mode = 0644);
  // Renames `temp` to `name`, then evicts the least recently used other entries until the total
  // is within max_bytes. If `temp` alone exceeds max_bytes, removes it and throws EntryTooLarge.
  std::filesystem::path commit(const std::filesystem::path& temp, std::string_view name);
  // Evicts as above, never removing `keep`; also removes temp files older than an hour (left by a
  // crashed writer). Returns the number of entries removed.
  size_t evict(std::string_view keep = {});
  // Bytes of all entries (not temp files).
  uint64_t total_bytes() const;

 private:
  void ensure_dir() const;

  std::filesystem::path m_dir;
  uint64_t m_max_bytes;
};

}  // namespace util
