// The bookkeeping every sandbox needs for its prepared toolchains (an unpacked tree, an engine
// image, ...): prepare each once even when many jobs ask at the same time, lease one to each job
// that runs on it, evict only when no job holds a lease, and optionally keep at most N, least
// recently used out first. What "prepared" means is the backend's: it makes and destroys the
// thing, and names it with a handle (a directory, an image id).
//
//   ToolchainLeases leases(backend, logger, /*max_prepared=*/8);
//   leases.prepare(id, archive);          // once per id; concurrent callers wait for its result
//   ToolchainLeases::Lease lease = leases.acquire(id);
//   run the job on lease.handle();        // an evict() meanwhile waits for the lease to end
//
// Threads: every method is thread-safe. The backend is called without the lock held, at most
// once at a time per id. Failure: SandboxError (from the backend, or acquire() of an id that is
// not prepared).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace spdlog {
class logger;
}

namespace sccache {

class ToolchainLeases {
 public:
  class Backend {
   public:
    virtual ~Backend();
    // Makes `id` runnable from `archive` (verified by the caller); its handle. Throws
    // SandboxError, leaving nothing behind.
    virtual std::string materialize(const std::string& id,
                                    const std::filesystem::path& archive) = 0;
    // Undoes materialize(). Never throws: failures are the backend's to log (whatever is left is
    // swept at the next start).
    virtual void destroy(const std::string& id, const std::string& handle) noexcept = 0;
    // The handle of a complete `id` an earlier run left, to adopt instead of materializing
    // again; nullopt if there is none (the default).
    virtual std::optional<std::string> find_existing(const std::string& id) const;
  };

  // Keeps one prepared toolchain alive (not evicted) while a job runs on it.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    const std::string& id() const { return m_id; }
    const std::string& handle() const { return m_handle; }

   private:
    friend class ToolchainLeases;
    Lease(ToolchainLeases& owner, std::string id, std::string handle, uint64_t generation);

    ToolchainLeases* m_owner;
    std::string m_id;
    std::string m_handle;
    uint64_t m_generation;
  };

  // `backend` and `logger` must outlive this object. `max_prepared` = 0: no cap.
  ToolchainLeases(Backend& backend, std::shared_ptr<spdlog::logger> logger,
                  size_t max_prepared = 0);
  ToolchainLeases(const ToolchainLeases&) = delete;
  ToolchainLeases& operator=(const ToolchainLeases&) = delete;

  // Prepares `id` unless it is prepared (a pending eviction is then cancelled). The handle when
  // this call materialized it (or adopted what an earlier run left); nullopt when it was ready.
  // With a cap, makes room first by evicting the least recently used (those in use go when their
  // last lease ends).
  std::optional<std::string> prepare(const std::string& id, const std::filesystem::path& archive);
  bool has(const std::string& id) const;
  // Removes it now, or when the last job using it ends. Waits while it is being prepared.
  void evict(const std::string& id);
  // Throws SandboxError if `id` is not prepared.
  Lease acquire(const std::string& id);
  // The backend found the thing `lease` is on gone (e.g. an image removed behind our back):
  // forgets it without destroying anything, so has() is false and the next prepare() makes it
  // again. Other leases on it stay valid; their release does nothing. Nothing happens if `id`
  // was prepared again since. Returns whether it forgot.
  bool forget(const Lease& lease);
  // Prepared ids, least recently used first.
  std::vector<std::string> prepared() const;
  // Forgets every prepared id and returns {id, handle} of each, to destroy at shutdown.
  std::vector<std::pair<std::string, std::string>> take_all();

 private:
  enum class State { preparing, ready, removing };
  struct Entry {
    State state = State::preparing;
    std::string handle;
    int leases = 0;
    bool evict_pending = false;
    uint64_t last_used = 0;
    uint64_t generation = 0;  // which preparation of the id this is
  };
  using Victims = std::vector<std::pair<std::string, std::string>>;

  // Marks what must go so one more fits under the cap; victims to destroy without the lock.
  Victims make_room_locked();
  void release(const std::string& id, uint64_t generation);
  // Destroys each victim, then drops its `removing` entry.
  void destroy(const Victims& victims);

  Backend& m_backend;
  std::shared_ptr<spdlog::logger> m_logger;
  const size_t m_max_prepared;
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  std::map<std::string, Entry, std::less<>> m_entries;  // guarded by m_mutex
  uint64_t m_clock = 0;                                 // guarded by m_mutex
  uint64_t m_generations = 0;                           // guarded by m_mutex
};

}  // namespace sccache
