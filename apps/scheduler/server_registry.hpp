// The scheduler's view of its build servers, kept from their heartbeats, and the placement of
// jobs on them.
//
// A toolchain counts as held from the moment one job is sent to upload it ("promised"): later
// jobs are told not to upload it again, and the server holds them until that upload completes.
//
// Placement: among live servers with a free slot, the lowest score wins, where
//   score = assigned jobs / job slots  (+ 0.25 without the job's toolchain)  (+ 100 while backing
//   off)
// A server may take a few more jobs than it has slots ("preload", a quarter of its slots, at
// least one) so its next job's inputs arrive while the current one compiles. A server that failed
// a job is backed off for 1 s, doubling per consecutive failure up to 60 s; a finished job clears
// that. Slots free when the server reports a job done (at once), when a client reports a failure,
// or when an assignment is neither running nor started within the grace period.
//
// Threads: every method is thread-safe (one mutex; allocation scans the servers, O(servers)).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/wire.hpp"

namespace sccache {

struct Allocation {
  std::string job_id;
  std::string server_id;
  std::string cert_sha256;
  std::string job_key;  // to sign the job token with
  bool need_toolchain = true;
  int server_protocol = wire::k_protocol_version;  // from the server's heartbeat
};

class ServerRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ServerRegistry(std::chrono::milliseconds timeout) : m_timeout(timeout) {}

  // Records a heartbeat; true if the server is new, or restarted (its nonce changed).
  bool record_heartbeat(wire::Heartbeat heartbeat, Clock::time_point now);
  // Drops servers silent for longer than the timeout; returns their ids.
  std::vector<std::string> expire(Clock::time_point now);
  // The live servers (expired ones are left out even before expire() runs).
  wire::SchedulerStatus status(Clock::time_point now) const;
  std::chrono::milliseconds timeout() const { return m_timeout; }

  // Picks a server for a job needing `toolchain_id`; nullopt when no live server has a slot.
  std::optional<Allocation> allocate(const std::string& toolchain_id, Clock::time_point now);
  // As allocate(), but waits up to `wait` for a slot to free (slots free on jobs_done,
  // job_failed and heartbeats). Waiters are served in no particular order.
  std::optional<Allocation> allocate_waiting(const std::string& toolchain_id,
                                             std::chrono::milliseconds wait);
  // The server finished these jobs (successfully or not: a compile error is a success here).
  void jobs_done(const std::string& server_id, const std::vector<std::string>& job_ids);
  // A client could not use the server for this job; frees the slot and backs the server off.
  // Returns false if the job was not assigned to that server.
  bool job_failed(const std::string& server_id, const std::string& job_id, Clock::time_point now);
  size_t live_servers(Clock::time_point now) const;
  // Wakes every waiting allocation and makes further waits return at once (for shutdown).
  void close();

  // How long an assignment may wait for its job to reach its server before its slot is taken
  // back (build servers report jobs whose upload or run request has arrived as running): short,
  // so allocations never followed by a job cannot hold capacity.
  static constexpr std::chrono::seconds k_start_grace{15};
  // No job holds a slot longer than this (the longest compile we wait for, plus margin).
  static constexpr std::chrono::seconds k_max_job_time{1800};

 private:
  struct Entry {
    wire::Heartbeat heartbeat;
    Clock::time_point last_seen;
    std::map<std::string, Clock::time_point> assigned;  // job id -> when
    std::set<std::string> toolchains;
    std::map<std::string, Clock::time_point> toolchains_promised;  // assigned, maybe uploading
    Clock::time_point last_assigned{};
    unsigned failures = 0;
    Clock::time_point backoff_until{};
  };

  bool is_live(const Entry& entry, Clock::time_point now) const {
    return now - entry.last_seen <= m_timeout;
  }
  std::string new_job_id();

  const std::chrono::milliseconds m_timeout;
  std::optional<Allocation> allocate_locked(const std::string& toolchain_id, Clock::time_point now);

  mutable std::mutex m_mutex;
  std::condition_variable m_capacity_changed;
  bool m_closed = false;
  std::map<std::string, Entry> m_servers;
};

}  // namespace sccache
