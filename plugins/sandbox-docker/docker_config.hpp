// The [builder] table of type "docker": how to reach the engine, who the job runs as, its limits,
// and how many warm containers and images to keep. Every key is optional (upstream's docker
// builder has none); see README.md for the defaults and why.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "sccache/config_section.hpp"

namespace sccache::sandbox_docker {

struct DockerConfig {
  std::filesystem::path socket;  // the engine's Unix socket
  uint32_t uid = 65534;          // the job's user and group (never root)
  uint32_t gid = 65534;
  double cpus = 1.0;             // CPUs per job; 0 means no limit
  uint64_t memory = 4ull << 30;  // bytes per job (swap included); 0 means no limit
  int64_t pids_limit = 1024;     // processes per job; 0 means no limit
  unsigned pool_size = 2;        // warm containers kept per toolchain
  unsigned max_images = 8;       // toolchain images kept (least recently used go first)
  // Labels everything this server creates on the engine, so its next start can remove what an
  // earlier run left: derived from the config file's canonical path.
  std::string owner;
  std::string config_file;

  std::string user() const { return std::to_string(uid) + ":" + std::to_string(gid); }
};

// The socket used when docker_socket is not set: DOCKER_HOST if it is a unix:// URL, else
// /var/run/docker.sock.
std::filesystem::path default_docker_socket();

// Failure: ConfigError (file:line:key) for unknown keys, wrong types and values out of range.
DockerConfig read_docker_config(const ConfigSection& config);

}  // namespace sccache::sandbox_docker
