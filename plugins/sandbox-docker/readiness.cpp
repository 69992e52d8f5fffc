#include "sandbox-docker/readiness.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "sandbox-docker/helper_protocol.hpp"
#include "sandbox-docker/image_tar.hpp"
#include "sandbox-docker/job_reply.hpp"
#include "sandbox-docker/job_request.hpp"

namespace sccache::sandbox_docker {

namespace {

constexpr int k_min_api_major = 1;
constexpr int k_min_api_minor = 41;

bool api_at_least(const std::string& version, int major, int minor) {
  int have_major = 0, have_minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &have_major, &have_minor) != 2) {
    return false;
  }
  return have_major > major || (have_major == major && have_minor >= minor);
}

}  // namespace

EngineVersion require_engine(const EngineApi& engine) {
  EngineVersion version = engine.version();
  if (!api_at_least(version.api_version, k_min_api_major, k_min_api_minor)) {
    throw SandboxError(fmt::format(
        "the Docker engine at {} is {} (API {}); the docker builder needs API {}.{} or later "
        "(Docker 20.10, Debian 12's docker.io)",
        engine.client().socket().string(), version.version, version.api_version, k_min_api_major,
        k_min_api_minor));
  }
  if (version.os != "linux") {
    throw SandboxError(fmt::format("the Docker engine at {} runs {} containers; jobs need linux",
                                   engine.client().socket().string(), version.os));
  }
  return version;
}

std::pair<size_t, size_t> remove_leftovers(const EngineApi& engine) {
  std::vector<std::string> containers = engine.containers();
  for (const auto& id : containers) {
    engine.remove_container(id);
  }
  std::vector<std::string> images = engine.images();
  for (const auto& id : images) {
    engine.remove_image(id);
  }
  return {containers.size(), images.size()};
}

void probe_job_container(const EngineApi& engine, const DockerConfig& config,
                         std::string_view helper) {
  const std::string probe = "probe";
  ImageLayout layout{helper};
  std::string image;
  WarmContainer container;
  try {
    image = engine.import_image(probe, probe,
                                [&](std::ostream& out) { write_helper_image_tar(layout, out); });
    container = engine.launch_container(image, probe);
    SandboxJob job;
    job.executable = protocol::k_helper_path;
    job.arguments = {"--probe"};
    job.cwd = "/";
    JobPaths paths{"/", {}};
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    send_job_request(*container.connection, job, paths, {config.uid, config.gid}, deadline);
    SandboxResult result = read_job_reply(*container.connection, {}, {}, {config.memory}, deadline);
    std::string expected =
        fmt::format("sccache-docker-init uid={} gid={}\n", config.uid, config.gid);
    if (result.exit_code != 0 || result.stdout_data != expected) {
      throw SandboxError(fmt::format("the probe job said \"{}\" (exit {}), not \"{}\"",
                                     result.stdout_data + result.stderr_data, result.exit_code,
                                     expected));
    }
  } catch (const SandboxError& e) {
    if (!container.id.empty()) {
      engine.remove_container(container.id);
    }
    if (!image.empty()) {
      engine.remove_image(image);
    }
    throw SandboxError(fmt::format(
        "the Docker engine at {} cannot run job containers as configured (user {}, cpus {}, "
        "memory {} bytes, pids_limit {}): {}",
        engine.client().socket().string(), config.user(), config.cpus, config.memory,
        config.pids_limit, e.what()));
  }
  engine.remove_container(container.id);
  engine.remove_image(image);
}

}  // namespace sccache::sandbox_docker
