// The statistics a process counts, kept in memory and added to the shared stats file
// (stats.hpp) when flushed: the local server counts thousands of compiles without touching the
// disk for each, and several processes (servers of other configs, SCCACHE_NO_DAEMON compiles)
// still add up in one file.
//
// Threads: every method is thread-safe. Failure: none (stats never break a compile); a flush
// that cannot write keeps the counts for the next one.
#pragma once

#include <filesystem>
#include <mutex>

#include "client/stats.hpp"

namespace sccache {

class StatsStore {
 public:
  explicit StatsStore(std::filesystem::path file) : m_file(std::move(file)) {}
  ~StatsStore() { flush(); }
  StatsStore(const StatsStore&) = delete;
  StatsStore& operator=(const StatsStore&) = delete;

  // Counts: `update` increments fields of the pending counts (never sets them).
  template <typename F>
  void update(F&& update) {
    std::lock_guard lock(m_mutex);
    update(m_pending);
    m_dirty = true;
  }
  // Adds the pending counts to the file.
  void flush();
  // The file's counts plus the pending ones.
  ClientStats snapshot() const;
  // Zeroes the file and the pending counts.
  void zero();
  const std::filesystem::path& path() const { return m_file.path(); }

 private:
  StatsFile m_file;
  mutable std::mutex m_mutex;
  ClientStats m_pending;  // guarded by m_mutex
  bool m_dirty = false;   // guarded by m_mutex
};

}  // namespace sccache
