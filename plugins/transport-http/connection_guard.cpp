#include "transport-http/connection_guard.hpp"

#include <sys/socket.h>
#include <vector>

#include <Poco/Net/StreamSocket.h>

namespace sccache::transport_http {
namespace {

thread_local ConnectionGuard::Watch* t_current = nullptr;

int64_t ticks(ConnectionGuard::Clock::time_point t) {
  return t.time_since_epoch().count();
}

ConnectionGuard::Clock::time_point from_ticks(int64_t n) {
  return ConnectionGuard::Clock::time_point(ConnectionGuard::Clock::duration(n));
}

std::string peer_host(const Poco::Net::StreamSocket& socket) {
  try {
    return socket.peerAddress().host().toString();
  } catch (...) {
    return "(unknown)";  // already disconnected: counted under one name, released the same
  }
}

class Filter final : public Poco::Net::TCPServerConnectionFilter {
 public:
  explicit Filter(ConnectionGuard& guard) : m_guard(guard) {}
  bool accept(const Poco::Net::StreamSocket& socket) override {
    return m_guard.admit(peer_host(socket));
  }

 private:
  ConnectionGuard& m_guard;
};

}  // namespace

ConnectionGuard::ConnectionGuard(std::chrono::seconds keep_alive_idle)
    : m_keep_alive_idle(keep_alive_idle), m_thread([this] { run(); }) {}

ConnectionGuard::~ConnectionGuard() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  m_thread.join();
}

bool ConnectionGuard::admit(const std::string& peer) {
  std::lock_guard lock(m_mutex);
  unsigned& from_peer = m_per_peer[peer];
  if (from_peer >= k_max_per_peer || m_total >= k_max_total) {
    if (from_peer == 0) {
      m_per_peer.erase(peer);
    }
    ++m_refused;
    return false;
  }
  ++from_peer;
  ++m_total;
  return true;
}

void ConnectionGuard::release(const std::string& peer) {
  std::lock_guard lock(m_mutex);
  auto it = m_per_peer.find(peer);
  if (it != m_per_peer.end() && --it->second == 0) {
    m_per_peer.erase(it);
  }
  if (m_total > 0) {
    --m_total;
  }
}

void ConnectionGuard::stop_idle() {
  m_stopping_connections = true;
  std::lock_guard lock(m_mutex);
  for (Watch* watch : m_watches) {
    if (watch->m_head_deadline != 0 && !watch->m_shut) {
      watch->m_shut = true;
      ::shutdown(watch->m_fd, SHUT_RDWR);
    }
  }
}

Poco::Net::TCPServerConnectionFilter::Ptr ConnectionGuard::filter() {
  return new Filter(*this);
}

void ConnectionGuard::run() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    m_wake.wait_for(lock, std::chrono::milliseconds(200));
    const auto now = Clock::now();
    for (Watch* watch : m_watches) {
      if (watch->enforce(now)) {
        ++m_cut;
      }
    }
  }
}

ConnectionGuard::Watch::Watch(ConnectionGuard& guard, const Poco::Net::StreamSocket& socket)
    : m_guard(guard),
      m_fd(socket.impl()->sockfd()),
      m_peer(peer_host(socket)),
      m_head_deadline(ticks(Clock::now() + k_head_timeout)),
      m_previous(t_current) {
  t_current = this;
  std::lock_guard lock(m_guard.m_mutex);
  m_guard.m_watches.insert(this);
}

ConnectionGuard::Watch::~Watch() {
  t_current = m_previous;
  {
    std::lock_guard lock(m_guard.m_mutex);
    m_guard.m_watches.erase(this);
  }
  m_guard.release(m_peer);
}

ConnectionGuard::Watch* ConnectionGuard::Watch::current() {
  return t_current;
}

void ConnectionGuard::Watch::request_started() {
  m_head_deadline = 0;
}

void ConnectionGuard::Watch::request_ended() {
  // Stored before the connection checks stopping() again: with stop_idle() storing the flag
  // before it scans, one of the two always sees the other (both are sequentially consistent).
  m_head_deadline = ticks(Clock::now() + m_guard.m_keep_alive_idle + k_head_timeout);
}

void ConnectionGuard::Watch::body_read_started() {
  const auto now = Clock::now();
  if (now - from_ticks(m_window_start) > k_body_window) {
    // A new window (the handler may have paused between reads: that is not the peer's delay).
    m_window_bytes = 0;
    m_window_start = ticks(now);
  }
  m_reading_body = true;
}

void ConnectionGuard::Watch::body_read_ended(uint64_t bytes) {
  m_window_bytes += bytes;
  m_reading_body = false;
}

bool ConnectionGuard::Watch::enforce(Clock::time_point now) {
  if (m_shut) {
    return false;
  }
  const int64_t head = m_head_deadline;
  bool late = head != 0 && now > from_ticks(head);
  if (!late && m_reading_body && now - from_ticks(m_window_start) > k_body_window) {
    if (m_window_bytes < k_min_body_bytes) {
      late = true;
    } else {
      m_window_bytes = 0;
      m_window_start = ticks(now);
    }
  }
  if (late) {
    m_shut = true;
    ::shutdown(m_fd, SHUT_RDWR);
  }
  return late;
}

}  // namespace sccache::transport_http
