// The client config (~/.config/sccache/config, or the file named by SCCACHE_CONF): the [dist]
// table of upstream sccache, plus plugin_dir. Without a config file, or without a scheduler,
// distributed compilation is disabled and every compile runs locally.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sccache/config_keys.hpp"

#include "client/cache/cache_config.hpp"
#include "common/config_document.hpp"
#include "common/environment.hpp"
#include "common/net_address.hpp"

namespace sccache {

inline constexpr uint64_t k_default_client_toolchain_cache_size = 10ull << 30;

struct ToolchainOverride {
  enum class Kind { path_override, no_dist };
  Kind kind = Kind::path_override;
  std::filesystem::path compiler_executable;  // the local compiler this entry matches
  std::filesystem::path archive;              // path_override: a toolchain tarball
  std::string archive_compiler_executable;    // path_override: the compiler inside it
};

struct ClientConfig {
  std::optional<ConfigDocument> document;  // absent when there is no config file
  std::optional<HttpUrl> scheduler;        // absent: distributed compilation disabled
  std::filesystem::path cache_dir;
  uint64_t toolchain_cache_size = k_default_client_toolchain_cache_size;
  std::vector<ToolchainOverride> toolchains;
  // Preprocess with gcc -fdirectives-only / clang -frewrite-includes (macros expand remotely).
  // On by default here (upstream: off): it keeps comments and macro context, so remote warnings,
  // diagnostics and debug-info columns match a local compile's.
  bool rewrite_includes_only = true;
  std::optional<AuthSection> auth;  // absent: DANGEROUSLY_INSECURE's fixed client token
  std::vector<std::filesystem::path> plugin_dirs;
  // The CAs an https scheduler must chain to: SSL_CERT_FILE and SSL_CERT_DIR of the environment
  // the config was read for (empty: OpenSSL's defaults).
  std::filesystem::path ca_file;
  std::filesystem::path ca_dir;
  // The compile cache: [cache] and SCCACHE_DIR, SCCACHE_CACHE_SIZE, SCCACHE_REDIS_*, ...
  cache::CacheConfig cache;
};

// Where the client config lives: $SCCACHE_CONF, else $XDG_CONFIG_HOME/sccache/config, else
// ~/.config/sccache/config.
std::filesystem::path client_config_path();

// Reads the config at `path`; a missing file gives the defaults (dist disabled). Throws
// ConfigError naming file, line and key.
ClientConfig read_client_config(const std::filesystem::path& path);
ClientConfig read_client_config(ConfigDocument document);
// The same, with the defaults (the cache under $XDG_CACHE_HOME or ~) taken from `env`, e.g. a
// request's environment in the local server.
std::filesystem::path client_config_path(const Environment& env);
ClientConfig read_client_config(const std::filesystem::path& path, const Environment& env);
ClientConfig read_client_config(ConfigDocument document, const Environment& env);

// The keys the reader accepts (and docs/configuration.md lists): the root table, [dist], and a
// [[dist.toolchains]] entry of each type. [dist.auth] is declared by the auth plugins.
std::span<const ConfigKey> client_config_keys();
std::span<const ConfigKey> client_dist_keys();
std::span<const ConfigKey> client_path_override_keys();
std::span<const ConfigKey> client_no_dist_keys();

}  // namespace sccache
