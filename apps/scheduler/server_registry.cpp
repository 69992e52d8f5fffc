#include "scheduler/server_registry.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "util/random.hpp"

namespace sccache {

namespace {
constexpr double k_missing_toolchain_penalty = 0.25;
constexpr double k_backoff_penalty = 100.0;
constexpr auto k_promise_lifetime = std::chrono::seconds(60);

uint32_t capacity(const wire::Heartbeat& hb) {
  return hb.max_jobs + std::max(1u, hb.max_jobs / 4);
}
}  // namespace

bool ServerRegistry::record_heartbeat(wire::Heartbeat heartbeat, Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  auto it = m_servers.find(heartbeat.server_id);
  const bool is_new = it == m_servers.end() || it->second.heartbeat.nonce != heartbeat.nonce ||
                      !is_live(it->second, now);
  if (it == m_servers.end()) {
    it = m_servers.emplace(heartbeat.server_id, Entry{}).first;
  }
  Entry& entry = it->second;
  if (is_new) {
    // A restarted server knows nothing of earlier jobs or toolchains.
    entry = Entry{};
  }
  // Toolchains: what the server holds, plus recent promises (uploads that may be under way).
  entry.toolchains =
      std::set<std::string>(heartbeat.toolchains.begin(), heartbeat.toolchains.end());
  std::erase_if(entry.toolchains_promised,
                [&](const auto& p) { return now - p.second > k_promise_lifetime; });
  // Assignments: running ones stay; others get a grace period to start; none lives forever.
  const std::set<std::string> running(heartbeat.running_job_ids.begin(),
                                      heartbeat.running_job_ids.end());
  std::erase_if(entry.assigned, [&](const auto& job) {
    const auto age = now - job.second;
    return age > k_max_job_time || (age > k_start_grace && running.count(job.first) == 0);
  });
  entry.heartbeat = std::move(heartbeat);
  entry.last_seen = now;
  m_capacity_changed.notify_all();
  return is_new;
}

std::vector<std::string> ServerRegistry::expire(Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  std::vector<std::string> expired;
  for (auto it = m_servers.begin(); it != m_servers.end();) {
    if (!is_live(it->second, now)) {
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
    if (!is_live(entry, now)) {
      continue;
    }
    const auto& hb = entry.heartbeat;
    const auto in_progress = static_cast<uint32_t>(entry.assigned.size());
    status.servers.push_back(
        {id, hb.version, hb.num_cpus, hb.max_jobs, in_progress,
         static_cast<uint64_t>(
             std::chrono::duration_cast<std::chrono::milliseconds>(now - entry.last_seen).count()),
         hb.sandbox});
    status.num_cpus += hb.num_cpus;
    status.in_progress += in_progress;
  }
  status.num_servers = static_cast<uint32_t>(status.servers.size());
  return status;
}

size_t ServerRegistry::live_servers(Clock::time_point now) const {
  std::lock_guard lock(m_mutex);
  return static_cast<size_t>(std::count_if(m_servers.begin(), m_servers.end(),
                                           [&](const auto& s) { return is_live(s.second, now); }));
}

std::string ServerRegistry::new_job_id() {
  return util::random_hex(8);  // unguessable: a client must not name another client's job
}

std::optional<Allocation> ServerRegistry::allocate(const std::string& toolchain_id,
                                                   Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  return allocate_locked(toolchain_id, now);
}

std::optional<Allocation> ServerRegistry::allocate_waiting(const std::string& toolchain_id,
                                                           std::chrono::milliseconds wait) {
  const auto deadline = Clock::now() + wait;
  std::unique_lock lock(m_mutex);
  while (true) {
    if (auto allocation = allocate_locked(toolchain_id, Clock::now())) {
      return allocation;
    }
    if (m_closed || m_capacity_changed.wait_until(lock, deadline) == std::cv_status::timeout) {
      return allocate_locked(toolchain_id, Clock::now());
    }
  }
}

std::optional<Allocation> ServerRegistry::allocate_locked(const std::string& toolchain_id,
                                                          Clock::time_point now) {
  Entry* best = nullptr;
  const std::string* best_id = nullptr;
  double best_score = 0;
  bool best_has_toolchain = false;
  for (auto& [id, entry] : m_servers) {
    if (!is_live(entry, now) || entry.assigned.size() >= capacity(entry.heartbeat)) {
      continue;
    }
    const bool has_toolchain = entry.toolchains.count(toolchain_id) != 0 ||
                               entry.toolchains_promised.count(toolchain_id) != 0;
    double score = static_cast<double>(entry.assigned.size()) / entry.heartbeat.max_jobs;
    if (!has_toolchain) {
      score += k_missing_toolchain_penalty;
    }
    if (now < entry.backoff_until) {
      score += k_backoff_penalty;
    }
    // Ties go to the server that has waited longest for work, to spread load.
    if (best == nullptr || score < best_score ||
        (score == best_score && entry.last_assigned < best->last_assigned)) {
      best = &entry;
      best_id = &id;
      best_score = score;
      best_has_toolchain = has_toolchain;
    }
  }
  if (best == nullptr) {
    return std::nullopt;
  }
  Allocation allocation{new_job_id(),
                        *best_id,
                        best->heartbeat.cert_sha256,
                        best->heartbeat.job_key,
                        !best_has_toolchain,
                        best->heartbeat.protocol};
  best->assigned[allocation.job_id] = now;
  best->last_assigned = now;
  best->toolchains_promised[toolchain_id] = now;
  return allocation;
}

void ServerRegistry::close() {
  {
    std::lock_guard lock(m_mutex);
    m_closed = true;
  }
  m_capacity_changed.notify_all();
}

void ServerRegistry::jobs_done(const std::string& server_id,
                               const std::vector<std::string>& job_ids) {
  std::lock_guard lock(m_mutex);
  auto it = m_servers.find(server_id);
  if (it == m_servers.end()) {
    return;
  }
  for (const auto& job : job_ids) {
    if (it->second.assigned.erase(job) != 0) {
      it->second.failures = 0;
      it->second.backoff_until = {};
    }
  }
  m_capacity_changed.notify_all();
}

bool ServerRegistry::job_failed(const std::string& server_id, const std::string& job_id,
                                Clock::time_point now) {
  std::lock_guard lock(m_mutex);
  auto it = m_servers.find(server_id);
  if (it == m_servers.end() || it->second.assigned.erase(job_id) == 0) {
    return false;
  }
  Entry& entry = it->second;
  entry.failures = std::min(entry.failures + 1, 7u);
  entry.backoff_until = now + std::chrono::seconds(std::min(1u << (entry.failures - 1), 60u));
  entry.toolchains_promised.clear();
  m_capacity_changed.notify_all();
  return true;
}

}  // namespace sccache
