// The engine operations the sandbox uses, as typed calls over EngineClient: version, images
// (import, remove, list by label) and job containers (create, attach, start, remove, list).
//
// Everything created carries the label k_owner_label = the server's owner id, so a later start of
// the same server finds and removes what an earlier run left. Threads: thread-safe.
// Failure: SandboxError with the engine's message.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "sandbox-docker/docker_config.hpp"
#include "sandbox-docker/engine_client.hpp"

namespace spdlog {
class logger;
}

namespace sccache::sandbox_docker {

inline constexpr const char* k_owner_label = "org.sccache-dist.owner";
inline constexpr const char* k_toolchain_label = "org.sccache-dist.toolchain";
inline constexpr const char* k_config_label = "org.sccache-dist.config";

// Creating a container found no image to make it of: the engine lost the toolchain's image
// (removed by someone else), so no container of it will ever start.
class ImageGone : public SandboxError {
 public:
  using SandboxError::SandboxError;
};

struct EngineVersion {
  std::string version;      // "20.10.24+dfsg1"
  std::string api_version;  // "1.41"
  std::string os;           // "linux"
};

// A started job container whose helper is waiting for a job on the attached stream.
struct WarmContainer {
  std::string id;
  std::unique_ptr<AttachedConnection> connection;
};

class EngineApi {
 public:
  EngineApi(const DockerConfig& config, std::shared_ptr<spdlog::logger> logger);

  const EngineClient& client() const { return m_client; }
  EngineVersion version() const;

  // Imports the tar `write_tar` streams as the image `sccache-dist/<owner>:<tag>`, labelled with
  // the owner and `toolchain`; returns the image id ("sha256:...").
  std::string import_image(const std::string& tag, const std::string& toolchain,
                           const std::function<void(std::ostream&)>& write_tar) const;
  // Removes an image (forced: stopped containers may still refer to it); absent is fine.
  void remove_image(const std::string& image) const;

  // Creates, attaches to and starts a job container of `image` with the configured user, limits
  // and isolation, then waits for its helper; the container is removed if any step fails.
  // Throws ImageGone when the engine has no such image.
  WarmContainer launch_container(const std::string& image, const std::string& toolchain) const;
  // Kills and removes a container; absent is fine. Returns once it is gone, also when another
  // thread's removal of it was already in progress. Failures are logged, not thrown.
  void remove_container(const std::string& id) const;

  // Ids of this owner's containers (all states) and images; `toolchain` narrows to one toolchain.
  std::vector<std::string> containers(const std::string& toolchain = {}) const;
  std::vector<std::string> images(const std::string& toolchain = {}) const;

  // The create body for a job container (exposed for tests).
  std::string container_spec(const std::string& image, const std::string& toolchain) const;

 private:
  std::string label_filter(const std::string& toolchain) const;
  // The "Id"s of GET /<collection>/json?<query> (collection: "containers" or "images").
  std::vector<std::string> list_ids(const std::string& collection, const std::string& query) const;
  // Polls until the engine no longer knows the container (bounded; logs when it gives up).
  void wait_until_removed(const std::string& id) const;

  const DockerConfig& m_config;
  EngineClient m_client;
  std::shared_ptr<spdlog::logger> m_logger;
};

}  // namespace sccache::sandbox_docker
