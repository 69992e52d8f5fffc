// The [builder] table of type "docker": how to reach the engine, who the job runs as, its limits,
// and how many warm containers and images to keep. Every key is optional (upstream's docker
// builder has none); see README.md for the defaults and why.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "sccache/config_keys.hpp"
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
  // Labels (and names) everything this server creates on the engine, so its next start can
  // remove what an earlier run left, and never touches another server's: the `owner` key, or
  // default_owner() of this host and config file.
  std::string owner;
  std::string config_file;

  std::string user() const { return std::to_string(uid) + ":" + std::to_string(gid); }
};

// The socket used when docker_socket is not set: DOCKER_HOST if it is a unix:// URL, else
// /var/run/docker.sock.
std::filesystem::path default_docker_socket();

// The owner when the `owner` key is absent: 12 hex digits of the SHA-1 of the host name and the
// config file's path. A server in a container has the container's host name, so two such servers
// sharing the host's engine differ even with the same file; on a plain host it is stable across
// restarts.
std::string default_owner(const std::string& host_name, const std::filesystem::path& config_file);

// Failure: ConfigError (file:line:key) for unknown keys, wrong types and values out of range.
DockerConfig read_docker_config(const ConfigSection& config);

// The keys of the table (what read_docker_config accepts and docs/configuration.md lists).
std::span<const ConfigKey> config_keys();

}  // namespace sccache::sandbox_docker
