#include "transport-http/connection_pool.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/Socket.h>

namespace sccache::transport_http {
namespace {

// An idle keep-alive connection has nothing to read; if it is readable, the peer closed it (or
// sent something unexpected), so it cannot carry another request.
bool looks_open(Poco::Net::HTTPClientSession& session) {
  try {
    return session.connected() &&
           !session.socket().poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ);
  } catch (const Poco::Exception&) {
    return false;
  }
}

}  // namespace

std::unique_ptr<Poco::Net::HTTPClientSession> ConnectionPool::take(const PoolKey& key) {
  for (;;) {
    Idle idle;
    {
      std::lock_guard lock(m_mutex);
      auto it = m_idle.find(key);
      if (it == m_idle.end() || it->second.empty()) {
        return nullptr;
      }
      idle = std::move(it->second.back());
      it->second.pop_back();
    }
    if (std::chrono::steady_clock::now() - idle.since <= m_max_idle_time &&
        looks_open(*idle.session)) {
      return std::move(idle.session);
    }
    // Stale: dropped here (closing it outside the lock), then try the next one.
  }
}

void ConnectionPool::give_back(const PoolKey& key,
                               std::unique_ptr<Poco::Net::HTTPClientSession> session) {
  std::unique_ptr<Poco::Net::HTTPClientSession> dropped;
  std::lock_guard lock(m_mutex);
  auto& idle = m_idle[key];
  idle.push_back(Idle{std::move(session), std::chrono::steady_clock::now()});
  if (idle.size() > m_max_idle_per_key) {
    dropped = std::move(idle.front().session);
    idle.pop_front();
  }
}

}  // namespace sccache::transport_http
