// A real redis-server (/usr/bin/redis-server, Debian's) for the Redis cache tests: on a free
// loopback port, with its own temporary directory, no persistence (--save "" --appendonly no) and
// optionally --requirepass. Its log goes to redis.log in that directory, quoted when it fails.
//
// Threads: one test thread drives it; client() connections may be used from any thread, one
// each. Failure: std::runtime_error when it cannot start or answer; when redis-server is not
// installed, the constructor skips the whole test binary (code 125). Ownership: the server
// process lives as long as the object (or until stop()); the destructor kills it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <Poco/Redis/Client.h>

#include "util/process.hpp"

#include "support/test_support.hpp"

namespace sccache::test {

class RedisServer {
 public:
  // Starts it and waits (up to 10 s) until it answers PING.
  explicit RedisServer(std::string password = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  uint16_t port() const { return m_port; }
  const std::string& password() const { return m_password; }

  // Kills it (SIGKILL): the port refuses connections until start().
  void stop();
  // Starts it again on the same port (a stopped server has lost its data).
  void start();
  // SIGSTOP: the kernel still accepts connections, nobody answers them; resume(): SIGCONT.
  void pause();
  void resume();

  // A connection of its own, authenticated and on `db`, for checking what a store wrote.
  std::unique_ptr<Poco::Redis::Client> client(int64_t db = 0) const;
  void flushall();
  int64_t dbsize(int64_t db = 0);

 private:
  bool answers_ping() const;

  std::string m_password;
  TempDir m_dir{"sccache-redis"};
  uint16_t m_port;
  std::optional<util::Child> m_process;
  bool m_paused = false;
};

}  // namespace sccache::test
