// The local sccache server (upstream sccache's daemon): one per user and socket, serving the
// `sccache` wrappers of every build at once. It keeps what each compile would otherwise start
// from nothing — configs, plugins, connections to the scheduler and build servers, toolchain
// lookups, statistics — and runs each compile (preprocessing included) as child processes in the
// wrapper's working directory and environment.
//
//   wrapper ──Hello, Compile──▶ connection thread: run_compile() (client/compile/pipeline.hpp)
//           ◀──Progress (1/s)── housekeeping thread
//           ◀──Compiled | RunLocally──
//
// <socket>.pid names the serving process while it runs.
// It stops on SIGTERM/SIGINT, --stop-server, SCCACHE_IDLE_TIMEOUT seconds without a request, a
// wrapper expecting another build (which then starts its own), or its socket being replaced
// (another server took over). Statistics are flushed every few seconds and when it stops.
//
// Threads: one accepting, one per connection, one for housekeeping. Failure: the constructor
// throws std::runtime_error when the socket cannot be bound; a failing connection only ends
// itself (its wrapper compiles locally).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

#include "client/server/context_cache.hpp"

namespace sccache {

struct LocalServerOptions {
  std::string socket_path;
  std::chrono::seconds idle_timeout{600};  // 0: never
  std::string build;                       // what a wrapper must expect (its Hello.build)
  std::vector<std::filesystem::path> not_compilers;
  std::chrono::seconds stats_flush_interval{5};
};

class LocalServer {
 public:
  explicit LocalServer(LocalServerOptions options);
  ~LocalServer();
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  // Serves until stopped, then waits (a while) for the compiles in flight and flushes stats.
  void serve();
  // Thread-safe; returns at once.
  void stop();

 private:
  struct Connection;
  void handle(std::shared_ptr<Connection> connection);
  void compile(Connection& connection, std::string_view body);
  void command(Connection& connection, std::string_view body);
  void housekeeping();
  bool socket_is_ours() const;

  const LocalServerOptions m_options;
  ContextCache m_contexts;
  int m_listen_fd = -1;
  ino_t m_socket_inode = 0;
  std::atomic<bool> m_stopping{false};
  std::mutex m_socket_mutex;  // one unlink of the socket at a time

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::set<std::shared_ptr<Connection>> m_connections;    // guarded by m_mutex
  bool m_drained = false;                                 // guarded by m_mutex
  std::chrono::steady_clock::time_point m_last_activity;  // guarded by m_mutex
};

}  // namespace sccache
