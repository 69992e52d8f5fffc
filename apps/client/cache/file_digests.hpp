// Content digests of files (sources, headers, compilers), remembered by their stat so an
// unchanged header is hashed once per server lifetime, not once per hit (ccache's inode cache,
// in memory). A file is taken as unchanged while its device, inode, size, mtime and ctime stay
// the same; a file changed within the last second is hashed every time (its timestamps could
// still hide a change made in the same tick). Each digest also says whether the file names the
// time macros, which depend mode must know of every header without a preprocessed unit.
//
// Threads: thread-safe. Failure: digest() gives nullopt for a file that cannot be read.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace sccache::cache {

struct FileDigest {
  std::string hex;  // SHA-256 of the content
  // The file changed less than a second before this call: a manifest must not rely on it.
  bool too_new = false;
  bool mentions_time = false;  // __TIME__ / __TIMESTAMP__ (source_tokens.hpp)
  bool mentions_date = false;  // __DATE__
};

class FileDigests {
 public:
  // `since_ns`: a time on CLOCK_REALTIME (ns), 0 for now. The digest is too_new when the file
  // changed after `since_ns` or within the second before it: a compile that started at
  // `since_ns` may have read it before it changed.
  std::optional<FileDigest> digest(const std::filesystem::path& path, int64_t since_ns = 0);
  static int64_t now_ns();
  size_t hashed() const { return m_hashed; }  // files read so far (for tests)

 private:
  struct Known {
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    int64_t ctime_ns;
    std::string hex;
    bool mentions_time;
    bool mentions_date;
  };
  std::mutex m_mutex;
  std::map<std::string, Known> m_known;  // guarded by m_mutex
  size_t m_hashed = 0;                   // guarded by m_mutex
};

}  // namespace sccache::cache
