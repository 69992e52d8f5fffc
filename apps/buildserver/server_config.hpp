// server.conf for a build server: the seed-era keys (scheduler_addr = "<IP>", public_addr on
// port 10501) and the later upstream ones (scheduler_url, bind_address, size strings).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include "sccache/config_keys.hpp"

#include "common/config_document.hpp"
#include "common/net_address.hpp"

namespace sccache {

inline constexpr uint64_t k_default_toolchain_cache_size = 10ull << 30;

struct ServerConfig {
  ConfigDocument document;
  std::filesystem::path cache_dir;
  uint64_t toolchain_cache_size = k_default_toolchain_cache_size;
  HostPort public_addr;                  // the server's identity, and what clients connect to
  std::optional<HostPort> bind_address;  // where to listen; see BuildServer for the default
  HttpUrl scheduler;                     // from scheduler_url, or scheduler_addr (seed era)
  std::string builder_type;
  ConfigSection builder;  // the [builder] table, validated by the sandbox plugin
  AuthSection scheduler_auth;
  std::vector<std::filesystem::path> plugin_dirs;
  unsigned max_jobs = 0;                                   // concurrent jobs; 0 means one per CPU
  std::optional<std::chrono::seconds> heartbeat_interval;  // default: what the scheduler asks
};

// Throws ConfigError naming file, line and key.
ServerConfig read_server_config(ConfigDocument document);

// The keys of server.conf's root table (what the reader accepts and docs/configuration.md lists).
// The [builder] and [scheduler_auth] tables are declared by the plugins that read them.
std::span<const ConfigKey> server_config_keys();

}  // namespace sccache
