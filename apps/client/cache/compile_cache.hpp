// The compile cache as the pipeline sees it: the local disk first, a shared Redis behind it (a
// Redis hit fills the disk), and the file digests direct mode keeps warm. One per client
// context, i.e. per config and environment in the local server.
//
// Threads: thread-safe. Failure: nothing throws; every failure is a status in the outcome, to
// count, and the compile goes on as a miss.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "client/cache/cache_config.hpp"
#include "client/cache/cache_storage.hpp"
#include "client/cache/disk_store.hpp"
#include "client/cache/file_digests.hpp"

namespace sccache::cache {

struct Lookup {
  bool hit = false;
  std::string bytes;
  bool from_remote = false;  // found in Redis (and copied to disk)
  // Problems met on the way, each level's own (a disk error, then a Redis hit, is a hit with
  // read_errors = 1).
  int read_errors = 0;
  int timeouts = 0;
  std::string error;  // the last problem, for the log
};

struct Store {
  int write_errors = 0;
  int timeouts = 0;
  std::string error;
};

class CompileCache {
 public:
  // `remote`: the shared level, or nullptr.
  CompileCache(const CacheConfig& config, std::unique_ptr<CacheStorage> remote);

  Lookup get(std::string_view key);
  Store put(std::string_view key, std::string_view bytes);
  // A damaged entry: gone from every level that can write.
  void remove(std::string_view key);

  FileDigests& digests() { return m_digests; }
  const CacheConfig& config() const { return m_config; }
  DiskStore& disk() { return m_disk; }
  // "Local disk: ...", plus ", Redis: ..." with a remote level.
  std::string location() const;

 private:
  const CacheConfig m_config;
  DiskStore m_disk;
  std::unique_ptr<CacheStorage> m_remote;
  FileDigests m_digests;
};

// The cache `config` describes, with its Redis level if one is configured.
std::unique_ptr<CompileCache> open_compile_cache(const CacheConfig& config);

}  // namespace sccache::cache
