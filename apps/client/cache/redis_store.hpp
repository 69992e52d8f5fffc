// The Redis level of the compile cache (SCCACHE_REDIS_*): one string value per entry, at
//
//   <key_prefix>/<k0>/<k1>/<k2>/<key>   (k0..k2: the key's first three characters, upstream's
//   layout) <k0>/<k1>/<k2>/<key>                without a prefix
//
// written with SET (SETEX when ttl_seconds > 0), read with GET, forgotten with DEL.
//
// Connections: a pool of up to 8 idle ones, each connected within `timeout`, then authenticated
// (AUTH [username] password) and switched to `db` (SELECT) before its first use. The wait for a
// reply is bounded by `timeout` too, and so is every stretch of a send or a receive without
// progress, so a Redis that accepts but never answers costs one timeout, not a hung compile (a
// large value sent to it may first fill the kernel's socket buffers: a few timeouts). A connection
// that failed is closed, never pooled again; a pooled one the server closed meanwhile (a restart,
// its idle timeout) gets one retry on a fresh one.
//
// Back-off: after an error or a timeout, every get and put answers `error` at once ("redis
// unavailable (retrying in N s)") for `retry_after`, so a build with Redis down does not pay a
// timeout per compile; the first call after that window tries again.
//
// Threads: all methods are thread-safe; exchanges run in parallel on separate connections.
// Failure: statuses, never exceptions (cache_storage.hpp). The password never appears in a
// message, a log line or location(). Ownership: the store owns its connections; destroying it
// closes them, and must not race a call in progress.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "client/cache/cache_config.hpp"
#include "client/cache/cache_storage.hpp"

namespace sccache::cache {

class RedisStore final : public CacheStorage {
 public:
  // Connects lazily: the first get or put opens the first connection.
  explicit RedisStore(RedisConfig config);
  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  ReadResult get(std::string_view key) override;
  // read_only: `skipped`, without a word to Redis; a value above Redis' 512 MiB limit: `skipped`.
  WriteResult put(std::string_view key, std::string_view bytes) override;
  // Best effort: a failure is only logged (and starts the back-off). Nothing when read-only.
  void remove(std::string_view key) override;
  std::string location() const override;  // "Redis: redis://host:port/db"
  bool read_only() const override { return m_config.read_only; }

  // The key an entry has on the server.
  std::string redis_key(std::string_view key) const;

 private:
  class Connection;  // redis_store.cpp

  struct Attempt {
    bool done = false;
    bool timed_out = false;
    std::string error;  // why not done; never the password
  };

  // Runs `exchange` on a pooled or new connection, unless Redis is being left alone.
  Attempt attempt(std::string_view command, const std::function<void(Connection&)>& exchange);
  Attempt failed(std::string_view command, bool timed_out, std::string message);

  std::unique_ptr<Connection> take_idle();
  void give_back(std::unique_ptr<Connection> connection);

  const RedisConfig m_config;
  std::mutex m_mutex;  // guards the two below
  std::vector<std::unique_ptr<Connection>> m_idle;
  std::chrono::steady_clock::time_point m_retry_at;  // left alone until then
};

}  // namespace sccache::cache
