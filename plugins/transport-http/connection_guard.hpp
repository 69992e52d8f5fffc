// What Poco's per-receive timeouts cannot give the HTTP server (each byte restarts them, so one
// byte a second holds a worker forever):
//  - at most k_max_per_peer open connections from one address and k_max_total in all; more are
//    closed at accept, before they reach a worker (admit(), Poco's connection filter);
//  - a request head must arrive whole within k_head_timeout of its connection's start, or of the
//    end of the previous exchange plus the keep-alive idle time, however slowly it trickles;
//  - a body being read must keep coming: at least k_min_body_bytes every k_body_window.
// A connection past a deadline is shut down in both directions from the guard's own thread,
// which makes its worker's blocked receive return; the worker then ends the connection.
//
// Threads: thread-safe. Watch objects live on their connection's worker thread (current() is
// that thread's); the guard outlives every Watch.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <Poco/Net/TCPServer.h>

namespace Poco::Net {
class StreamSocket;
}

namespace sccache::transport_http {

class ConnectionGuard {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr unsigned k_max_per_peer = 64;
  static constexpr unsigned k_max_total = 1024;
  static constexpr std::chrono::seconds k_head_timeout{10};
  static constexpr std::chrono::seconds k_body_window{10};
  static constexpr uint64_t k_min_body_bytes = 1024;

  explicit ConnectionGuard(std::chrono::seconds keep_alive_idle);
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // One connection's deadlines, from its start to its end on the worker thread.
  class Watch {
   public:
    Watch(ConnectionGuard& guard, const Poco::Net::StreamSocket& socket);
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

    // The calling worker thread's connection, or null (a thread serving none).
    static Watch* current();

    void request_started();  // the head arrived: no head deadline while the request is handled
    void request_ended();    // the next head must come within the idle time plus k_head_timeout
    void body_read_started();
    void body_read_ended(uint64_t bytes);

   private:
    friend class ConnectionGuard;
    // Whether a deadline has passed at `now`; then shuts the socket down (once).
    bool enforce(Clock::time_point now);

    ConnectionGuard& m_guard;
    int m_fd;
    std::string m_peer;
    std::atomic<int64_t> m_head_deadline;  // Clock ticks; 0: none (a request is being handled)
    std::atomic<bool> m_reading_body{false};
    std::atomic<int64_t> m_window_start{0};
    std::atomic<uint64_t> m_window_bytes{0};
    bool m_shut = false;  // guarded by the guard's mutex
    Watch* m_previous;    // the thread's earlier current() (nesting is not expected)
  };

  // Counts an accepted connection from `peer`; false (and nothing counted) past a limit.
  bool admit(const std::string& peer);
  uint64_t refused() const { return m_refused; }
  uint64_t cut() const { return m_cut; }

  // For stopping: no connection starts another request, and those waiting for one are shut
  // down now (a request being handled finishes first).
  void stop_idle();
  bool stopping() const { return m_stopping_connections; }

  // A Poco filter that calls admit(); the guard must outlive the server using it.
  Poco::Net::TCPServerConnectionFilter::Ptr filter();

 private:
  void release(const std::string& peer);
  void run();

  const std::chrono::seconds m_keep_alive_idle;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::map<std::string, unsigned> m_per_peer;  // admitted and not yet ended
  unsigned m_total = 0;
  std::set<Watch*> m_watches;
  std::atomic<bool> m_stopping_connections{false};
  std::atomic<uint64_t> m_refused{0};
  std::atomic<uint64_t> m_cut{0};
  std::thread m_thread;  // last: started once the rest exists
};

}  // namespace sccache::transport_http
