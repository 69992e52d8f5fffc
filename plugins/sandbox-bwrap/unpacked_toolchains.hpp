// Unpacked toolchains under build_dir/toolchains/<id>: the overlay sandbox's backend for the
// SDK's ToolchainLeases, which does the once-only preparation, the leases and the evictions.
//
//   <dir>/<id>                  a complete tree (trees only appear, by rename, once complete)
//   <dir>/<id>.tmp-<random>     being unpacked
//   <dir>/<id>.evicting-<random> being removed
//
// Threads: every method is thread-safe. Failure: SandboxError.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "sccache/toolchain_leases.hpp"

namespace spdlog {
class logger;
}

namespace sccache::sandbox_bwrap {

class UnpackedToolchains final : public ToolchainLeases::Backend {
 public:
  UnpackedToolchains(std::filesystem::path dir, std::shared_ptr<spdlog::logger> logger);

  // What jobs use: prepare, lease, evict (a lease's handle is the tree's directory).
  ToolchainLeases& leases() { return m_leases; }
  // Removes half-unpacked and half-evicted trees of an earlier run. Call before any prepare().
  void remove_leftovers();

  std::string materialize(const std::string& id, const std::filesystem::path& archive) override;
  void destroy(const std::string& id, const std::string& handle) noexcept override;
  std::optional<std::string> find_existing(const std::string& id) const override;

 private:
  std::filesystem::path tree(const std::string& id) const { return m_dir / id; }

  const std::filesystem::path m_dir;
  std::shared_ptr<spdlog::logger> m_logger;
  ToolchainLeases m_leases;
};

}  // namespace sccache::sandbox_bwrap
