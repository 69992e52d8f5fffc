#include "sandbox-bwrap/overlay_sandbox.hpp"

#include <fcntl.h>
#include <memory>
#include <mutex>
#include <optional>
#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include "sccache/plugin.hpp"

#include "util/fs.hpp"

#include "sandbox-bwrap/embedded_gate.hpp"
#include "sandbox-bwrap/overlay_config.hpp"
#include "sandbox-bwrap/readiness.hpp"
#include "sandbox-bwrap/unpacked_toolchains.hpp"
#include "sandbox-bwrap/warm_pool.hpp"

namespace sccache::sandbox_bwrap {
namespace {

// The gate, written where bwrap binds it from: root's, read and execute only.
std::filesystem::path install_gate(const std::filesystem::path& build_dir) {
  const std::filesystem::path gate = build_dir / "sccache-sandbox-gate";
  try {
    util::write_file_atomically(gate, embedded_gate(), 0555);
  } catch (const std::exception& e) {
    throw SandboxError(std::string("cannot install the sandbox gate: ") + e.what());
  }
  return gate;
}

class OverlaySandbox final : public Sandbox {
 public:
  OverlaySandbox(OverlayConfig config, HostContext& host)
      : m_config(std::move(config)),
        m_logger(host.logger("sandbox-bwrap")),
        m_toolchains(m_config.build_dir / "toolchains", m_logger) {}

  ~OverlaySandbox() override { m_pool.reset(); }

  void check_ready() override {
    require_root();
    BwrapVersion version = require_bwrap(m_config.bwrap_path);
    require_overlayfs();
    prepare_build_dir(m_config.build_dir);
    m_toolchains.remove_leftovers();
    smoke_test(m_config.bwrap_path, version, builds_dir());
    std::lock_guard lock(m_mutex);
    m_version = version;
    m_setup.bwrap = m_config.bwrap_path;
    m_setup.clearenv = version.at_least(0, 5, 0);
    m_setup.builds_dir = builds_dir();
    m_setup.gate = install_gate(m_config.build_dir);
    m_setup.logger = m_logger;
    m_pool = std::make_unique<WarmPool>(m_setup, m_toolchains, m_config.warm_sandboxes);
    m_logger->info(
        "overlay builder ready: bubblewrap {} at {}, build_dir {}, {} warm sandbox(es) "
        "per toolchain",
        version.text, m_config.bwrap_path.string(), m_config.build_dir.string(),
        m_config.warm_sandboxes);
  }

  void prepare_toolchain(const std::string& toolchain_id,
                         const std::filesystem::path& archive) override {
    m_toolchains.leases().prepare(toolchain_id, archive);
    pool().want(toolchain_id);
  }

  bool has_toolchain(const std::string& toolchain_id) const override {
    return m_toolchains.leases().has(toolchain_id);
  }

  void evict_toolchain(const std::string& toolchain_id) override {
    pool().drain(toolchain_id);  // their leases go with them
    m_toolchains.leases().evict(toolchain_id);
  }

  SandboxResult run(const SandboxJob& job) override {
    try {
      const auto start = std::chrono::steady_clock::now();
      std::unique_ptr<WarmSandbox> sandbox = pool().take(job.toolchain_id);
      const auto taken = std::chrono::steady_clock::now() - start;
      SandboxResult result = sandbox->run(job);
      // A sandbox made on the spot (none was ready) is setup time too.
      result.setup_time += std::chrono::duration_cast<std::chrono::microseconds>(taken);
      pool().retire(std::move(sandbox));  // its unmount (milliseconds) is not the job's
      return result;
    } catch (const SandboxError&) {
      throw;
    } catch (const std::exception& e) {  // process and file-system errors: the sandbox failed
      throw SandboxError(e.what());
    }
  }

  std::string describe() const override {
    std::lock_guard lock(m_mutex);
    return m_version ? "overlay+bwrap " + m_version->text : "overlay+bwrap";
  }

 private:
  std::filesystem::path builds_dir() const { return m_config.build_dir / "builds"; }

  WarmPool& pool() {
    std::lock_guard lock(m_mutex);
    if (!m_pool) {
      throw SandboxError("the overlay builder is not ready (check_ready() was not called)");
    }
    return *m_pool;
  }

  const OverlayConfig m_config;
  std::shared_ptr<spdlog::logger> m_logger;
  mutable UnpackedToolchains m_toolchains;
  mutable std::mutex m_mutex;
  std::optional<BwrapVersion> m_version;  // known after check_ready(); guarded by m_mutex
  SandboxSetup m_setup;                   // set by check_ready(), then read-only
  std::unique_ptr<WarmPool> m_pool;       // made by check_ready(); guarded by m_mutex
};

class OverlaySandboxFactory final : public SandboxFactory {
 public:
  std::unique_ptr<Sandbox> create(std::string_view /*type*/, const ConfigSection& config,
                                  HostContext& host) const override {
    return std::make_unique<OverlaySandbox>(read_overlay_config(config), host);
  }
};

const OverlaySandboxFactory g_factory;

}  // namespace

SCCACHE_DEFINE_PLUGIN(descriptor, SCCACHE_PLUGIN_KIND_SANDBOX, SandboxFactory, g_factory, "1.0.0",
                      "overlayfs + bubblewrap build sandbox (needs root)", "overlay")

}  // namespace sccache::sandbox_bwrap
