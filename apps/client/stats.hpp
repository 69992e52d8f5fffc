// Client statistics, shared by every sccache process of a user: a small JSON file updated under
// an exclusive flock, so counts stay right under `make -j`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace sccache {

struct ClientStats {
  uint64_t compile_requests = 0;       // every compiler invocation through sccache
  uint64_t remote_compiles = 0;        // compiled on a build server (whatever the exit code)
  uint64_t remote_compile_errors = 0;  // ... of which the user's code did not compile
  std::map<std::string, uint64_t> remote_by_server;
  std::map<std::string, uint64_t> local_fallbacks;  // reason -> count
  std::map<std::string, uint64_t> remote_retries;   // failed attempts retried: reason -> count
  std::map<std::string, uint64_t> not_distributed;  // reason -> count
  uint64_t remote_time_ms = 0;
  uint64_t local_compiles = 0;  // fallbacks and non-distributed calls run locally
  uint64_t local_time_ms = 0;

  // The compile cache (upstream's rows).
  uint64_t cache_hits_direct = 0;        // direct mode: no preprocessor ran
  uint64_t cache_hits_preprocessed = 0;  // found by the preprocessed unit
  uint64_t cache_hits_remote = 0;        // ... of the hits, found in Redis (not on disk)
  uint64_t cache_misses = 0;
  uint64_t cache_timeouts = 0;
  uint64_t cache_read_errors = 0;  // unreadable or damaged entries, and store failures
  uint64_t cache_write_errors = 0;
  uint64_t cache_writes = 0;
  uint64_t forced_recaches = 0;                // SCCACHE_RECACHE
  std::map<std::string, uint64_t> not_cached;  // reason -> count
  uint64_t cache_hit_time_ms = 0;              // request to reply, of every hit

  uint64_t cache_hits() const { return cache_hits_direct + cache_hits_preprocessed; }
  uint64_t total_not_cached() const;
  uint64_t total_fallbacks() const;
  uint64_t total_not_distributed() const;
};

// Adds every counter of `delta` to `total`.
void add_stats(ClientStats& total, const ClientStats& delta);

class StatsFile {
 public:
  explicit StatsFile(std::filesystem::path path) : m_path(std::move(path)) {}

  // Applies `update` to the stored stats atomically (flock); errors are ignored (stats must never
  // break a compile).
  template <typename F>
  void update(F&& update) {
    ClientStats stats;
    if (lock_and_read(&stats)) {
      update(stats);
      write_and_unlock(stats);
    }
  }
  ClientStats read() const;
  void zero();
  const std::filesystem::path& path() const { return m_path; }

 private:
  bool lock_and_read(ClientStats* stats);
  void write_and_unlock(const ClientStats& stats);

  std::filesystem::path m_path;
  int m_lock_fd = -1;
};

// What --show-stats says about the cache beside the counts.
struct CacheDescription {
  std::string location;  // "Local disk: \"...\"" (", Redis: redis://host:port/db")
  uint64_t size = 0;
  uint64_t max_size = 0;
  bool direct_mode = true;
  bool depend_mode = true;
  std::vector<std::string> basedirs;
};

void print_stats_text(const ClientStats& stats, std::ostream& out,
                      const CacheDescription* cache = nullptr);
std::string stats_to_json(const ClientStats& stats, const CacheDescription* cache = nullptr);
ClientStats stats_from_json(const std::string& text);

}  // namespace sccache
