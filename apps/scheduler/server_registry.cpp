#include "server_registry.hpp"

namespace sccache {

bool ServerRegistry::record_heartbeat(wire::Heartbeat heartbeat, Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  auto it = m_servers.find(heartbeat.server_id);
  if (it == m_servers.end()) {
    std::string id = heartbeat.server_id;
    m_servers.emplace(std::move(id), Entry{std::move(heartbeat), now});
    return true;
  }
  const bool restarted = it->second.heartbeat.nonce != heartbeat.nonce;
  it->second = Entry{std::move(heartbeat), now};
  return restarted;
}

std::vector<std::string> ServerRegistry::expire(Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  std::vector<std::string> expired;
  for (auto it = m_servers.begin(); it != m_servers.end();) {
    if (now - it->second.last_seen > m_timeout) {
      expired.push_back(it->first);
      it = m_servers.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

wire::SchedulerStatus ServerRegistry::status(Clock::time_point now) const {
  std::lock_guard lock(m_mutex);
  wire::SchedulerStatus status;
  for (const auto& [id, entry] : m_servers) {
    if (now - entry.last_seen > m_timeout) {
      continue;
    }
    const auto& hb = entry.heartbeat;
    status.servers.push_back(
        {id, hb.version, hb.num_cpus, hb.max_jobs, hb.running_jobs,
         static_cast<uint64_t>(
             std::chrono::duration_cast<std::chrono::milliseconds>(now - entry.last_seen).count()),
         hb.sandbox});
    status.num_cpus += hb.num_cpus;
    status.in_progress += hb.running_jobs;
  }
  status.num_servers = static_cast<uint32_t>(status.servers.size());
  return status;
}

}  // namespace sccache
