// One engine image per toolchain, imported once from its archive (image_tar.hpp), with reference
// counts so an eviction never pulls an image from under a running job, and a cap on how many are
// kept: preparing one more than max_images evicts the least recently used.
//
// Threads: thread-safe. Concurrent prepare() calls for one id import it once; the others wait for
// that result. Failure: SandboxError.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "container_pool.hpp"
#include "docker_config.hpp"
#include "engine_api.hpp"

namespace sccache::sandbox_docker {

class ImageStore {
 public:
  ImageStore(const EngineApi& engine, ContainerPool& pool, const DockerConfig& config,
             std::string_view helper, std::shared_ptr<spdlog::logger> logger);
  ImageStore(const ImageStore&) = delete;
  ImageStore& operator=(const ImageStore&) = delete;

  // Keeps one toolchain's image (not evicted) while a job runs on it.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    const std::string& image() const { return m_image; }

   private:
    friend class ImageStore;
    Lease(ImageStore& store, std::string id, std::string image, uint64_t import);

    ImageStore* m_store;
    std::string m_id;
    std::string m_image;
    uint64_t m_import = 0;
  };

  // Imports `archive` as the image of `id` unless it is there, then fills its container pool.
  void prepare(const std::string& id, const std::filesystem::path& archive);
  bool has(const std::string& id) const;
  // Removes the image now, or when the last job using it ends.
  void evict(const std::string& id);
  // The engine lost the image `lease` is on (ImageGone): forgets it and stops keeping warm
  // containers of it, so has() is false and the next prepare() imports it again. Leases on it
  // stay valid (releasing them does nothing). Nothing if the toolchain was imported again since.
  void forget(const Lease& lease);
  // Throws SandboxError if the toolchain is not prepared.
  Lease acquire(const std::string& id);
  // Removes every image this store made (server shutdown); waits for none.
  void remove_all();
  // The toolchain ids with an image, least recently used first.
  std::vector<std::string> toolchains() const;

 private:
  enum class State { importing, ready };
  struct Entry {
    State state = State::importing;
    std::string image;
    int leases = 0;
    bool evict_pending = false;
    uint64_t last_used = 0;
    uint64_t import = 0;  // which import of the id this is (ids may be imported again)
  };

  std::string import(const std::string& id, const std::filesystem::path& archive);
  // Picks images to evict so one more fits; those in use are marked and go when released.
  std::vector<std::pair<std::string, std::string>> make_room_locked();
  void release(const std::string& id, uint64_t import);
  void remove(const std::string& id, const std::string& image);

  const EngineApi& m_engine;
  ContainerPool& m_pool;
  const DockerConfig& m_config;
  std::string_view m_helper;
  std::shared_ptr<spdlog::logger> m_logger;
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  std::map<std::string, Entry, std::less<>> m_entries;  // guarded by m_mutex
  uint64_t m_clock = 0;                                 // guarded by m_mutex
  uint64_t m_imports = 0;                               // guarded by m_mutex
};

}  // namespace sccache::sandbox_docker
