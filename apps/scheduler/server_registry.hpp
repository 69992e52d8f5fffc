// The scheduler's view of its build servers, kept from their heartbeats. A server that misses
// heartbeats for longer than the timeout is dropped.
//
// Threads: every method is thread-safe (one mutex; all operations are O(servers)).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "wire.hpp"

namespace sccache {

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

 private:
  struct Entry {
    wire::Heartbeat heartbeat;
    Clock::time_point last_seen;
  };

  const std::chrono::milliseconds m_timeout;
  mutable std::mutex m_mutex;
  std::map<std::string, Entry> m_servers;
};

}  // namespace sccache
