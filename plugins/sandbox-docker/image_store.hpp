// One engine image per toolchain, imported once from its archive (image_tar.hpp): the docker
// sandbox's backend for the SDK's ToolchainLeases, which does the once-only import, the leases
// (an eviction never pulls an image from under a running job) and the cap of max_images, least
// recently used out first. A fresh import fills the toolchain's pool of warm containers.
//
// Threads: thread-safe. Failure: SandboxError.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sccache/toolchain_leases.hpp"

#include "sandbox-docker/container_pool.hpp"
#include "sandbox-docker/docker_config.hpp"
#include "sandbox-docker/engine_api.hpp"

namespace sccache::sandbox_docker {

class ImageStore final : public ToolchainLeases::Backend {
 public:
  ImageStore(const EngineApi& engine, ContainerPool& pool, const DockerConfig& config,
             std::string_view helper, std::shared_ptr<spdlog::logger> logger);

  // Imports `archive` as the image of `id` unless it is there, then fills its container pool.
  void prepare(const std::string& id, const std::filesystem::path& archive);
  // What jobs use: lease, evict (a lease's handle is the image id).
  ToolchainLeases& leases() { return m_leases; }
  const ToolchainLeases& leases() const { return m_leases; }
  // The engine lost the image `lease` is on (ImageGone): forgets it and stops keeping warm
  // containers of it, so the next prepare() imports it again.
  void forget(const ToolchainLeases::Lease& lease);
  // Removes every image this store made (server shutdown); waits for none.
  void remove_all();

  std::string materialize(const std::string& id, const std::filesystem::path& archive) override;
  // Drains the pool, removes the toolchain's containers and its image; failures are logged (the
  // next start's sweep of leftovers removes what is left).
  void destroy(const std::string& id, const std::string& image) noexcept override;

 private:
  const EngineApi& m_engine;
  ContainerPool& m_pool;
  std::string_view m_helper;
  std::shared_ptr<spdlog::logger> m_logger;
  ToolchainLeases m_leases;
};

}  // namespace sccache::sandbox_docker
