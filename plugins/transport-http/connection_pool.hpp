// Idle keep-alive client sessions, per endpoint, for reuse by later requests.
//
// Threads: all methods are thread-safe; a session taken out belongs to the caller alone until it
// is given back. Ownership: the pool owns idle sessions and closes them when dropped.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <Poco/Net/HTTPClientSession.h>

namespace sccache::transport_http {

struct PoolKey {
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  std::string pin;  // normalised fingerprint with tls, else empty
  auto operator<=>(const PoolKey&) const = default;
};

class ConnectionPool {
 public:
  ConnectionPool(size_t max_idle_per_key, std::chrono::steady_clock::duration max_idle_time)
      : m_max_idle_per_key(max_idle_per_key), m_max_idle_time(max_idle_time) {}

  // The most recently used idle session for `key` that still looks open, or null.
  std::unique_ptr<Poco::Net::HTTPClientSession> take(const PoolKey& key);
  // Keeps `session` for reuse (drops it if the endpoint already has enough idle sessions).
  void give_back(const PoolKey& key, std::unique_ptr<Poco::Net::HTTPClientSession> session);

 private:
  struct Idle {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    std::chrono::steady_clock::time_point since;
  };

  std::mutex m_mutex;
  std::map<PoolKey, std::deque<Idle>> m_idle;
  size_t m_max_idle_per_key;
  std::chrono::steady_clock::duration m_max_idle_time;
};

}  // namespace sccache::transport_http
