#include "sandbox-docker/docker_sandbox.hpp"

#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sccache/plugin.hpp"

#include "sandbox-docker/container_pool.hpp"
#include "sandbox-docker/docker_config.hpp"
#include "sandbox-docker/embedded_helper.hpp"
#include "sandbox-docker/engine_api.hpp"
#include "sandbox-docker/image_store.hpp"
#include "sandbox-docker/job_runner.hpp"
#include "sandbox-docker/readiness.hpp"

namespace sccache::sandbox_docker {
namespace {

class DockerSandbox final : public Sandbox {
 public:
  DockerSandbox(DockerConfig config, HostContext& host)
      : m_config(std::move(config)),
        m_logger(host.logger("sandbox-docker")),
        m_engine(m_config, m_logger),
        m_pool(m_engine, m_config.pool_size, m_logger),
        m_images(m_engine, m_pool, m_config, embedded_helper(), m_logger) {}

  // Jobs have ended (the server stops them first): the images go, then the pool's containers.
  ~DockerSandbox() override { m_images.remove_all(); }

  void check_ready() override {
    EngineVersion version = require_engine(m_engine);
    auto [containers, images] = remove_leftovers(m_engine);
    if (containers + images > 0) {
      m_logger->info("removed {} container(s) and {} image(s) left by an earlier run (label {}={})",
                     containers, images, k_owner_label, m_config.owner);
    }
    probe_job_container(m_engine, m_config, embedded_helper());
    {
      std::lock_guard lock(m_mutex);
      m_version = version;
    }
    m_logger->info(
        "docker builder ready: engine {} (API {}) at {}; jobs run as {} with cpus {}, memory {} "
        "MiB, pids_limit {}; {} warm container(s) per toolchain, at most {} image(s); label "
        "{}={}",
        version.version, version.api_version, m_config.socket.string(), m_config.user(),
        m_config.cpus, m_config.memory >> 20, m_config.pids_limit, m_config.pool_size,
        m_config.max_images, k_owner_label, m_config.owner);
  }

  void prepare_toolchain(const std::string& toolchain_id,
                         const std::filesystem::path& archive) override {
    m_images.prepare(toolchain_id, archive);
  }

  bool has_toolchain(const std::string& toolchain_id) const override {
    return m_images.leases().has(toolchain_id);
  }

  void evict_toolchain(const std::string& toolchain_id) override {
    m_images.leases().evict(toolchain_id);
  }

  SandboxResult run(const SandboxJob& job) override {
    JobPaths paths = validate_job(job);
    ToolchainLeases::Lease lease = m_images.leases().acquire(job.toolchain_id);
    try {
      return run_job(JobContext{m_engine, m_pool, m_config, m_logger}, lease.handle(), job, paths);
    } catch (const ImageGone& e) {
      // Someone removed the image (a server with the same owner on this engine, or an operator):
      // forget it, so the server sees the toolchain as missing and prepares it again.
      m_images.forget(lease);
      throw SandboxError(fmt::format(
          "the image of toolchain {} is gone from the Docker engine ({}); it will be imported "
          "again",
          job.toolchain_id, e.what()));
    }
  }

  std::string describe() const override {
    std::lock_guard lock(m_mutex);
    return m_version ? "docker " + m_version->version + " (API " + m_version->api_version + ")"
                     : "docker";
  }

 private:
  const DockerConfig m_config;
  std::shared_ptr<spdlog::logger> m_logger;
  EngineApi m_engine;
  ContainerPool m_pool;
  ImageStore m_images;
  mutable std::mutex m_mutex;
  std::optional<EngineVersion> m_version;  // known after check_ready(); guarded by m_mutex
};

class DockerSandboxFactory final : public SandboxFactory {
 public:
  std::unique_ptr<Sandbox> create(std::string_view /*type*/, const ConfigSection& config,
                                  HostContext& host) const override {
    return std::make_unique<DockerSandbox>(read_docker_config(config), host);
  }
};

const DockerSandboxFactory g_factory;

}  // namespace

SCCACHE_DEFINE_PLUGIN(descriptor, SCCACHE_PLUGIN_KIND_SANDBOX, SandboxFactory, g_factory, "1.0.0",
                      "Docker build sandbox: a container per job, no network, not root", "docker")

}  // namespace sccache::sandbox_docker
