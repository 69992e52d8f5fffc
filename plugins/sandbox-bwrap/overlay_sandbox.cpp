#include "sandbox-bwrap/overlay_sandbox.hpp"

#include <mutex>
#include <optional>

#include <spdlog/spdlog.h>

#include "sccache/plugin.hpp"

#include "sandbox-bwrap/job_runner.hpp"
#include "sandbox-bwrap/overlay_config.hpp"
#include "sandbox-bwrap/readiness.hpp"
#include "sandbox-bwrap/unpacked_toolchains.hpp"

namespace sccache::sandbox_bwrap {
namespace {

class OverlaySandbox final : public Sandbox {
 public:
  OverlaySandbox(OverlayConfig config, HostContext& host)
      : m_config(std::move(config)),
        m_logger(host.logger("sandbox-bwrap")),
        m_toolchains(m_config.build_dir / "toolchains", m_logger) {}

  void check_ready() override {
    require_root();
    BwrapVersion version = require_bwrap(m_config.bwrap_path);
    require_overlayfs();
    prepare_build_dir(m_config.build_dir);
    m_toolchains.remove_leftovers();
    smoke_test(m_config.bwrap_path, version, builds_dir());
    {
      std::lock_guard lock(m_mutex);
      m_version = version;
    }
    m_logger->info("overlay builder ready: bubblewrap {} at {}, build_dir {}", version.text,
                   m_config.bwrap_path.string(), m_config.build_dir.string());
  }

  void prepare_toolchain(const std::string& toolchain_id,
                         const std::filesystem::path& archive) override {
    m_toolchains.leases().prepare(toolchain_id, archive);
  }

  bool has_toolchain(const std::string& toolchain_id) const override {
    return m_toolchains.leases().has(toolchain_id);
  }

  void evict_toolchain(const std::string& toolchain_id) override {
    m_toolchains.leases().evict(toolchain_id);
  }

  SandboxResult run(const SandboxJob& job) override {
    ToolchainLeases::Lease lease = m_toolchains.leases().acquire(job.toolchain_id);
    JobContext context;
    context.bwrap = m_config.bwrap_path;
    context.builds_dir = builds_dir();
    context.logger = m_logger;
    {
      std::lock_guard lock(m_mutex);
      context.clearenv = !m_version || m_version->at_least(0, 5, 0);
    }
    try {
      return run_job(context, lease.handle(), job);
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

  const OverlayConfig m_config;
  std::shared_ptr<spdlog::logger> m_logger;
  mutable UnpackedToolchains m_toolchains;
  mutable std::mutex m_mutex;
  std::optional<BwrapVersion> m_version;  // known after check_ready(); guarded by m_mutex
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
