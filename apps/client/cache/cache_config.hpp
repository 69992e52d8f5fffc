// The compile cache's settings: the client config's [cache.disk] and [cache.redis] (upstream's
// names), overridden by upstream's environment variables (SCCACHE_DIR, SCCACHE_CACHE_SIZE,
// SCCACHE_DIRECT, SCCACHE_DEPEND_MODE, SCCACHE_BASEDIRS, SCCACHE_LOCAL_RW_MODE, SCCACHE_REDIS_*). A
// user who sets nothing gets a 10 GiB disk cache in ~/.cache/sccache with direct mode on.
//
// Threads: plain values. Failure: read_cache_config throws ConfigError naming the file, line and
// key (or the environment variable) of a bad value.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sccache/config_keys.hpp"
#include "sccache/config_section.hpp"

#include "common/environment.hpp"

namespace sccache::cache {

inline constexpr uint64_t k_default_cache_size = 10ull << 30;

struct RedisConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::string endpoint;  // as configured, for --show-stats (never with a password)
  int64_t db = 0;
  std::string username;
  std::string password;  // a secret: never logged, never printed
  std::string key_prefix;
  uint64_t ttl_seconds = 0;  // 0: entries never expire
  bool read_only = false;
  // One exchange (connect, GET or SET) longer than this counts as a timeout and the compile goes
  // on as a miss; after a failure Redis is left alone for `retry_after`.
  std::chrono::milliseconds timeout{1000};
  std::chrono::milliseconds retry_after{5000};
};

struct CacheConfig {
  bool enabled = true;  // SCCACHE_CACHE=off (ours): no cache at all
  std::filesystem::path dir;
  uint64_t max_size = k_default_cache_size;
  bool local_read_only = false;
  bool direct_mode = true;  // ccache's direct mode, upstream's preprocessor cache mode
  // ccache's depend mode, for misses compiled here (docs/cache.md). Resolved: on by default
  // unless Redis or basedirs are configured; never without direct mode.
  bool depend_mode = true;
  // Absolute directories stripped from what is hashed, longest first, so two checkouts at
  // different paths share hits (cache_key.hpp says where that is safe).
  std::vector<std::string> basedirs;
  std::optional<RedisConfig> redis;
};

// `root`: the config file's root table, if there is a file ([cache], and upstream's root-level
// `basedirs`). `env`: the environment the config is read for (a request's, in the server).
CacheConfig read_cache_config(const std::optional<ConfigSection>& root, const Environment& env);

// "redis://[user[:password]@]host[:port][/db]", "tcp://host:port" or "host:port" into `redis`
// (nullopt-free: throws std::invalid_argument with a message that never quotes a password).
void parse_redis_endpoint(std::string_view endpoint, RedisConfig& redis);

std::span<const ConfigKey> cache_keys();
std::span<const ConfigKey> cache_disk_keys();
std::span<const ConfigKey> cache_redis_keys();

}  // namespace sccache::cache
