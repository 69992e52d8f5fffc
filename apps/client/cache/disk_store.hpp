// The local disk level of the compile cache (SCCACHE_DIR): one file per entry, written to a temp
// file and renamed into place, least recently used out first within the size limit.
//
//   <dir>/<k0>/<k1>/<key>   an entry (k0, k1: the key's first two characters); mtime = last use
//   <dir>/<k0>/.size        that shard's byte count, flock'ed while it changes
//   <dir>/<k0>/.tmp-*       entries being written
//
// Sizes are kept per shard (16 of them, as ccache does), so a write never walks the whole cache:
// it adds its size under the shard's lock, and a shard above a sixteenth of the limit drops its
// oldest entries down to 90 % of its share. A missing or unreadable count is rebuilt by walking
// that shard once. Many threads and processes (two local servers, `make -j` with
// SCCACHE_NO_DAEMON) may share one directory.
//
// Not util::LruDirStore (the toolchain cache's): that one walks the whole store on every commit,
// right for a few dozen toolchains, not for a hundred thousand objects written during a build.
//
// Threads: all methods are thread-safe. Failure: statuses, never exceptions (cache_storage.hpp).
#pragma once

#include <cstdint>
#include <filesystem>

#include "client/cache/cache_storage.hpp"

namespace sccache::cache {

class DiskStore final : public CacheStorage {
 public:
  DiskStore(std::filesystem::path dir, uint64_t max_bytes, bool read_only);

  ReadResult get(std::string_view key) override;
  WriteResult put(std::string_view key, std::string_view bytes) override;
  void remove(std::string_view key) override;
  std::string location() const override;
  bool read_only() const override { return m_read_only; }

  // The bytes of all entries (the shards' counts); 0 for a cache never written.
  uint64_t size() const;
  uint64_t max_size() const { return m_max_bytes; }
  const std::filesystem::path& dir() const { return m_dir; }
  std::filesystem::path path_of(std::string_view key) const;

 private:
  std::filesystem::path shard_of(std::string_view key) const;

  std::filesystem::path m_dir;
  uint64_t m_max_bytes;
  bool m_read_only;
};

}  // namespace sccache::cache
