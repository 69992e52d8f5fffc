#include "sandbox-docker/image_store.hpp"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sandbox-docker/image_tar.hpp"

namespace sccache::sandbox_docker {
namespace fs = std::filesystem;

ImageStore::ImageStore(const EngineApi& engine, ContainerPool& pool, const DockerConfig& config,
                       std::string_view helper, std::shared_ptr<spdlog::logger> logger)
    : m_engine(engine),
      m_pool(pool),
      m_helper(helper),
      m_logger(std::move(logger)),
      m_leases(*this, m_logger, config.max_images) {}

void ImageStore::prepare(const std::string& id, const fs::path& archive) {
  if (std::optional<std::string> image = m_leases.prepare(id, archive)) {
    m_pool.fill(id, *image);
  }
}

std::string ImageStore::materialize(const std::string& id, const fs::path& archive) {
  auto start = std::chrono::steady_clock::now();
  ImageLayout layout{m_helper};
  std::string image;
  try {
    image = m_engine.import_image(
        id, id, [&](std::ostream& out) { write_image_tar(archive, layout, out); });
  } catch (const SandboxError& e) {
    try {  // whatever the engine made of it
      for (const auto& partial : m_engine.images(id)) {
        m_engine.remove_image(partial);
      }
    } catch (const std::exception& cleanup) {
      m_logger->warn("cannot remove a failed image of toolchain {}: {}", id, cleanup.what());
    }
    throw SandboxError(fmt::format("cannot make the image of toolchain {} from {}: {}", id,
                                   archive.string(), e.what()));
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start);
  m_logger->info("prepared toolchain {} as image {} in {} ms", id, image.substr(0, 19), ms.count());
  return image;
}

void ImageStore::forget(const ToolchainLeases::Lease& lease) {
  if (!m_leases.forget(lease)) {
    return;  // imported again since
  }
  m_logger->warn(
      "the image of toolchain {} ({}) is gone from the engine; it will be imported "
      "again when the toolchain is next prepared",
      lease.id(), lease.handle().substr(0, 19));
  m_pool.drain(lease.id());
}

void ImageStore::destroy(const std::string& id, const std::string& image) noexcept {
  try {
    m_pool.drain(id);
  } catch (const std::exception& e) {
    m_logger->warn("cannot stop the warm containers of toolchain {}: {}", id, e.what());
  }
  try {
    for (const auto& container : m_engine.containers(id)) {
      m_engine.remove_container(container);  // used ones not removed yet
    }
  } catch (const std::exception& e) {
    m_logger->warn("cannot remove the containers of toolchain {}: {}", id, e.what());
  }
  try {
    m_engine.remove_image(image);
    m_logger->info("evicted toolchain {} (image {})", id, image.substr(0, 19));
  } catch (const std::exception& e) {
    m_logger->warn("cannot remove the image of toolchain {}: {}", id, e.what());
  }
}

void ImageStore::remove_all() {
  for (const auto& [id, image] : m_leases.take_all()) {
    destroy(id, image);
  }
}

}  // namespace sccache::sandbox_docker
