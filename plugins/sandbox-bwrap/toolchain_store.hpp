// Unpacked toolchains under build_dir/toolchains/<id>, with reference counts so an eviction never
// pulls a tree from under a running job.
//
// Threads: every method is thread-safe. Concurrent prepare() calls for one id unpack it once; the
// others wait for that result. Failure: SandboxError.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace sccache::sandbox_bwrap {

class ToolchainStore {
 public:
  ToolchainStore(std::filesystem::path dir, std::shared_ptr<spdlog::logger> logger);
  ToolchainStore(const ToolchainStore&) = delete;
  ToolchainStore& operator=(const ToolchainStore&) = delete;

  // Keeps one toolchain tree alive (not evicted) while a job runs on it.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    const std::filesystem::path& dir() const { return m_dir; }

   private:
    friend class ToolchainStore;
    Lease(ToolchainStore& store, std::string id, std::filesystem::path dir);

    ToolchainStore* m_store;
    std::string m_id;
    std::filesystem::path m_dir;
  };

  // Unpacks `archive` to dir/<id> unless already there (a tree left by an earlier run counts:
  // trees only appear, by rename, once complete). A failed unpack leaves nothing behind.
  void prepare(const std::string& id, const std::filesystem::path& archive);
  bool has(const std::string& id) const;
  // Removes the tree now, or when the last job using it ends.
  void evict(const std::string& id);
  // Throws SandboxError if the toolchain is not prepared.
  Lease acquire(const std::string& id);
  // Removes half-unpacked and half-evicted trees of an earlier run. Call before any prepare().
  void remove_leftovers();

 private:
  enum class State { unpacking, ready };
  struct Entry {
    State state = State::unpacking;
    int leases = 0;
    bool evict_pending = false;
  };

  std::filesystem::path tree(const std::string& id) const { return m_dir / id; }
  void unpack(const std::string& id, const std::filesystem::path& archive);
  void release(const std::string& id);
  // Renames the tree aside (under the lock) so a new prepare() can start at once; returns the
  // path to delete outside the lock, or empty.
  std::filesystem::path detach_locked(const std::string& id);
  void remove_detached(const std::filesystem::path& path, const std::string& id);

  std::filesystem::path m_dir;
  std::shared_ptr<spdlog::logger> m_logger;
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  std::map<std::string, Entry, std::less<>> m_entries;  // guarded by m_mutex
};

}  // namespace sccache::sandbox_bwrap
