// Warm job containers per toolchain, and the background work that keeps them coming: starting
// replacements and removing used containers.
//
// A container serves exactly one job and is then removed (discarded, never cleaned), so no job
// can see another's files, processes, /dev/shm or IPC objects. Starting a container costs the
// engine ~100-150 ms, so take() hands out one that is already running and a worker starts its
// replacement in the background.
//
// Threads: thread-safe. Two worker threads, joined by the destructor, which also finishes the
// queued removals and removes the warm containers. Failure: take() throws SandboxError when no
// container can be started; background failures are logged.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sandbox-docker/engine_api.hpp"

namespace sccache::sandbox_docker {

class ContainerPool {
 public:
  ContainerPool(const EngineApi& engine, unsigned pool_size,
                std::shared_ptr<spdlog::logger> logger);
  ~ContainerPool();
  ContainerPool(const ContainerPool&) = delete;
  ContainerPool& operator=(const ContainerPool&) = delete;

  struct Taken {
    WarmContainer container;
    bool was_warm = false;  // from the pool (it may have died while it waited)
  };
  // A running container of `image` for `toolchain`: a warm one, or one started now in the calling
  // thread. Either way a replacement is started in the background.
  Taken take(const std::string& toolchain, const std::string& image);
  // Fills the pool of `toolchain` in the background.
  void fill(const std::string& toolchain, const std::string& image);
  // Removes a used container in the background.
  void discard(const std::string& id);
  // Removes the warm containers of `toolchain` in the background and starts new ones: one of them
  // was found dead (an engine restart kills them all).
  void flush(const std::string& toolchain);
  // Stops keeping containers for `toolchain`: waits for the starts in flight and removes its warm
  // containers before returning (its image is about to go).
  void drain(const std::string& toolchain);

  // For tests: waits until no background work is queued or running.
  void wait_idle();
  size_t warm_count(const std::string& toolchain) const;

 private:
  struct Pool {
    std::string image;
    std::deque<WarmContainer> warm;
    unsigned starting = 0;
    bool draining = false;
  };
  struct StartTask {
    std::string toolchain;
    std::string image;
  };

  void refill_locked(const std::string& toolchain, Pool& pool);
  void worker();
  void start_one(const StartTask& task);
  // Logs the exception being handled (call it in a catch block only) as a warning: "<what>
  // <subject>: <exception>". A background task's exception must not leave its thread: that would
  // end the process.
  void log_failure(const char* what, const std::string& subject) const noexcept;

  const EngineApi& m_engine;
  const unsigned m_pool_size;
  std::shared_ptr<spdlog::logger> m_logger;
  mutable std::mutex m_mutex;
  std::condition_variable m_wake;       // work queued, or stopping
  std::condition_variable m_changed;    // a start finished, or the queues drained
  std::map<std::string, Pool> m_pools;  // by toolchain id; guarded by m_mutex
  std::deque<StartTask> m_starts;       // guarded by m_mutex
  std::deque<std::string> m_removals;   // container ids; guarded by m_mutex
  unsigned m_busy = 0;                  // workers running a task; guarded by m_mutex
  bool m_stopping = false;              // guarded by m_mutex
  std::vector<std::thread> m_workers;
};

}  // namespace sccache::sandbox_docker
