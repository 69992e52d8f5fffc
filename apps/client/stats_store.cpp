#include "client/stats_store.hpp"

namespace sccache {

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
