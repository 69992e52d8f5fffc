#include "client/stats_store.hpp"

namespace sccache {
namespace {

void add_counts(std::map<std::string, uint64_t>& total,
                const std::map<std::string, uint64_t>& delta) {
  for (const auto& [key, count] : delta) {
    total[key] += count;
  }
}

}  // namespace

void add_stats(ClientStats& total, const ClientStats& delta) {
  total.compile_requests += delta.compile_requests;
  total.remote_compiles += delta.remote_compiles;
  total.remote_compile_errors += delta.remote_compile_errors;
  add_counts(total.remote_by_server, delta.remote_by_server);
  add_counts(total.local_fallbacks, delta.local_fallbacks);
  add_counts(total.not_distributed, delta.not_distributed);
  total.remote_time_ms += delta.remote_time_ms;
  total.local_compiles += delta.local_compiles;
  total.local_time_ms += delta.local_time_ms;
  total.cache_hits_direct += delta.cache_hits_direct;
  total.cache_hits_preprocessed += delta.cache_hits_preprocessed;
  total.cache_hits_remote += delta.cache_hits_remote;
  total.cache_misses += delta.cache_misses;
  total.cache_timeouts += delta.cache_timeouts;
  total.cache_read_errors += delta.cache_read_errors;
  total.cache_write_errors += delta.cache_write_errors;
  total.cache_writes += delta.cache_writes;
  total.forced_recaches += delta.forced_recaches;
  add_counts(total.not_cached, delta.not_cached);
  total.cache_hit_time_ms += delta.cache_hit_time_ms;
}

void StatsStore::flush() {
  std::lock_guard lock(m_mutex);
  if (!m_dirty) {
    return;
  }
  bool written = false;
  m_file.update([&](ClientStats& stats) {
    add_stats(stats, m_pending);
    written = true;
  });
  if (written) {
    m_pending = ClientStats{};
    m_dirty = false;
  }
}

ClientStats StatsStore::snapshot() const {
  std::lock_guard lock(m_mutex);
  ClientStats stats = m_file.read();
  add_stats(stats, m_pending);
  return stats;
}

void StatsStore::zero() {
  std::lock_guard lock(m_mutex);
  m_pending = ClientStats{};
  m_dirty = false;
  m_file.zero();
}

}  // namespace sccache
