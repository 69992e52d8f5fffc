#include "client/cache/cache_config.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <stdexcept>

#include <fmt/format.h>

#include "sccache/config_error.hpp"

namespace sccache::cache {
namespace fs = std::filesystem;

namespace {

constexpr ConfigKey k_cache_keys[] = {
    {"disk", ConfigValueType::table, "on, in `~/.cache/sccache`", "the local disk cache (below)"},
    {"redis", ConfigValueType::table, "none", "a shared Redis behind the disk cache (below)"},
    {"basedirs", ConfigValueType::string_array, "`[]`",
     "absolute directories stripped from what is hashed, so checkouts at different paths share "
     "hits (`SCCACHE_BASEDIRS`, `:`-separated)"},
    {"depend_mode", ConfigValueType::boolean, "on unless `[cache.redis]` or `basedirs` is set",
     "a miss compiled here runs no preprocessor: the compile's own depfile lists what the key "
     "hashes (`SCCACHE_DEPEND_MODE`; docs/cache.md)"},
};

constexpr ConfigKey k_disk_keys[] = {
    {"dir", ConfigValueType::path, "`~/.cache/sccache`",
     "where entries live (`SCCACHE_DIR`); `$XDG_CACHE_HOME` applies"},
    {"size", ConfigValueType::size, "10 GiB",
     "the most the entries may take; least recently used out first (`SCCACHE_CACHE_SIZE`)"},
    {"rw_mode", ConfigValueType::string, "`\"READ_WRITE\"`",
     "`\"READ_ONLY\"`: look up, never store (`SCCACHE_LOCAL_RW_MODE`)"},
    {"preprocessor_cache_mode", ConfigValueType::table, "on",
     "direct mode: `use_preprocessor_cache_mode = false` turns it off (`SCCACHE_DIRECT=off`)"},
};

constexpr ConfigKey k_redis_keys[] = {
    {"endpoint", ConfigValueType::string, "none",
     "`\"redis://[user[:password]@]host[:port][/db]\"`, `\"tcp://host:port\"` or "
     "`\"host:port\"` (`SCCACHE_REDIS_ENDPOINT`)"},
    {"db", ConfigValueType::integer, "0", "the database number (`SCCACHE_REDIS_DB`)"},
    {"username", ConfigValueType::string, "none", "for `AUTH` (`SCCACHE_REDIS_USERNAME`)"},
    {"password", ConfigValueType::string, "none",
     "for `AUTH` (`SCCACHE_REDIS_PASSWORD`); never logged", ConfigSecrecy::secret},
    {"key_prefix", ConfigValueType::string, "`\"\"`",
     "prepended to every key (`SCCACHE_REDIS_KEY_PREFIX`)"},
    {"ttl", ConfigValueType::integer, "0: never",
     "seconds an entry lives after it is written (`SCCACHE_REDIS_TTL`)"},
    {"expiration", ConfigValueType::integer, "0: never", "upstream's name for `ttl`"},
    {"rw_mode", ConfigValueType::string, "`\"READ_WRITE\"`",
     "`\"READ_ONLY\"`: look up, never store (`SCCACHE_REDIS_RW_MODE`)"},
    {"timeout_ms", ConfigValueType::integer, "1000",
     "an exchange slower than this is a miss, and Redis is left alone for 5 s "
     "(`SCCACHE_REDIS_TIMEOUT_MS`)"},
};

fs::path default_dir(const Environment& env) {
  if (auto xdg = env.get_nonempty("XDG_CACHE_HOME")) {
    return fs::path(*xdg) / "sccache";
  }
  return fs::path(env.get_nonempty("HOME").value_or("/tmp")) / ".cache" / "sccache";
}

[[noreturn]] void env_error(std::string_view variable, const std::string& message) {
  throw ConfigError("(environment)", 0, 0, std::string(variable), message);
}

bool read_only_mode(std::string_view value, const std::function<void(const std::string&)>& fail) {
  if (value == "READ_ONLY") {
    return true;
  }
  if (value != "READ_WRITE") {
    fail("expected \"READ_ONLY\" or \"READ_WRITE\"");
  }
  return false;
}

uint64_t env_number(const Environment& env, std::string_view variable, uint64_t fallback) {
  auto text = env.get_nonempty(variable);
  if (!text) {
    return fallback;
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) {
    env_error(variable, "expected a non-negative integer");
  }
  return value;
}

std::vector<std::string> normalized_basedirs(std::vector<std::string> dirs,
                                             const std::function<void(const std::string&)>& fail) {
  std::vector<std::string> out;
  for (auto& dir : dirs) {
    if (dir.empty()) {
      continue;
    }
    if (dir.front() != '/') {
      fail("a base directory must be an absolute path");
    }
    std::string normal = fs::path(dir).lexically_normal().string();
    while (normal.size() > 1 && normal.back() == '/') {
      normal.pop_back();
    }
    out.push_back(normal);
  }
  // Longest first: the most specific prefix is the one stripped.
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void read_redis_table(const ConfigSection& table, RedisConfig& redis) {
  table.reject_unknown_keys(k_redis_keys);
  if (auto endpoint = table.get_string("endpoint")) {
    try {
      parse_redis_endpoint(*endpoint, redis);
    } catch (const std::invalid_argument& e) {
      table.fail("endpoint", e.what());
    }
  }
  if (auto db = table.get_integer("db")) {
    if (*db < 0) {
      table.fail("db", "must not be negative");
    }
    redis.db = *db;
  }
  if (auto user = table.get_string("username")) {
    redis.username = *user;
  }
  if (auto password = table.get_string("password")) {
    redis.password = *password;
  }
  if (auto prefix = table.get_string("key_prefix")) {
    redis.key_prefix = *prefix;
  }
  for (const char* key : {"expiration", "ttl"}) {
    if (auto ttl = table.get_integer(key)) {
      if (*ttl < 0) {
        table.fail(key, "must not be negative");
      }
      redis.ttl_seconds = static_cast<uint64_t>(*ttl);
    }
  }
  if (auto mode = table.get_string("rw_mode")) {
    redis.read_only =
        read_only_mode(*mode, [&](const std::string& m) { table.fail("rw_mode", m); });
  }
  if (auto timeout = table.get_integer("timeout_ms")) {
    if (*timeout <= 0) {
      table.fail("timeout_ms", "must be above zero");
    }
    redis.timeout = std::chrono::milliseconds(*timeout);
  }
}

void read_redis_env(const Environment& env, std::optional<RedisConfig>& redis) {
  std::optional<std::string_view> endpoint = env.get_nonempty("SCCACHE_REDIS_ENDPOINT");
  if (!endpoint) {
    endpoint = env.get_nonempty("SCCACHE_REDIS");  // upstream's deprecated URL form
  }
  if (endpoint) {
    if (!redis) {
      redis.emplace();
    }
    try {
      parse_redis_endpoint(*endpoint, *redis);
    } catch (const std::invalid_argument& e) {
      env_error("SCCACHE_REDIS_ENDPOINT", e.what());
    }
  }
  if (!redis) {
    return;
  }
  if (env.get_nonempty("SCCACHE_REDIS_DB")) {
    redis->db = static_cast<int64_t>(env_number(env, "SCCACHE_REDIS_DB", 0));
  }
  if (auto user = env.get_nonempty("SCCACHE_REDIS_USERNAME")) {
    redis->username = std::string(*user);
  }
  if (auto password = env.get_nonempty("SCCACHE_REDIS_PASSWORD")) {
    redis->password = std::string(*password);
  }
  if (auto prefix = env.get("SCCACHE_REDIS_KEY_PREFIX")) {
    redis->key_prefix = std::string(*prefix);
  }
  for (const char* variable : {"SCCACHE_REDIS_EXPIRATION", "SCCACHE_REDIS_TTL"}) {
    redis->ttl_seconds = env_number(env, variable, redis->ttl_seconds);
  }
  if (auto mode = env.get_nonempty("SCCACHE_REDIS_RW_MODE")) {
    redis->read_only =
        read_only_mode(*mode, [&](const std::string& m) { env_error("SCCACHE_REDIS_RW_MODE", m); });
  }
  if (env.get_nonempty("SCCACHE_REDIS_TIMEOUT_MS")) {
    const uint64_t ms = env_number(env, "SCCACHE_REDIS_TIMEOUT_MS", 0);
    if (ms == 0) {
      env_error("SCCACHE_REDIS_TIMEOUT_MS", "must be above zero");
    }
    redis->timeout = std::chrono::milliseconds(ms);
  }
}

bool env_flag_off(const Environment& env, std::string_view variable) {
  auto value = env.get_nonempty(variable);
  return value && (*value == "off" || *value == "0" || *value == "false" || *value == "no");
}

}  // namespace

void parse_redis_endpoint(std::string_view endpoint, RedisConfig& redis) {
  std::string_view rest = endpoint;
  for (std::string_view scheme : {"redis://", "tcp://"}) {
    if (rest.starts_with(scheme)) {
      rest.remove_prefix(scheme.size());
    }
  }
  if (rest.starts_with("rediss://") || rest.find("://") != std::string_view::npos) {
    throw std::invalid_argument(
        "unsupported scheme (expected redis://, tcp:// or host:port; TLS and Unix sockets are "
        "not supported)");
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    if (auto colon = credentials.find(':'); colon != std::string_view::npos) {
      redis.username = std::string(credentials.substr(0, colon));
      redis.password = std::string(credentials.substr(colon + 1));
    } else {
      redis.password = std::string(credentials);
    }
  }
  std::string_view host_port = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    host_port = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      int64_t number = 0;
      auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), number);
      if (ec != std::errc() || end != db.data() + db.size() || number < 0) {
        throw std::invalid_argument("the path after the host must be a database number");
      }
      redis.db = number;
    }
  }
  std::string_view host = host_port;
  if (auto colon = host_port.rfind(':'); colon != std::string_view::npos) {
    host = host_port.substr(0, colon);
    std::string_view port = host_port.substr(colon + 1);
    unsigned number = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || end != port.data() + port.size() || number == 0 || number > 65535) {
      throw std::invalid_argument("the port must be a number from 1 to 65535");
    }
    redis.port = static_cast<uint16_t>(number);
  }
  if (host.empty()) {
    throw std::invalid_argument("no host");
  }
  redis.host = std::string(host);
  redis.endpoint = fmt::format("redis://{}:{}", redis.host, redis.port);
}

CacheConfig read_cache_config(const std::optional<ConfigSection>& root, const Environment& env) {
  CacheConfig config;
  std::optional<bool> depend_mode;  // unset: the default, decided once the rest is known
  config.dir = default_dir(env);
  if (root) {
    if (auto dirs = root->get_string_array("basedirs")) {
      config.basedirs =
          normalized_basedirs(*dirs, [&](const std::string& m) { root->fail("basedirs", m); });
    }
  }
  const std::optional<ConfigSection> cache = root ? root->get_table("cache") : std::nullopt;
  if (cache) {
    cache->reject_unknown_keys(k_cache_keys);
    if (auto disk = cache->get_table("disk")) {
      disk->reject_unknown_keys(k_disk_keys);
      if (auto dir = disk->get_path("dir")) {
        config.dir = *dir;
      }
      if (auto size = disk->get_size("size")) {
        if (*size == 0) {
          disk->fail("size", "the cache size must be above zero");
        }
        config.max_size = *size;
      }
      if (auto mode = disk->get_string("rw_mode")) {
        config.local_read_only =
            read_only_mode(*mode, [&](const std::string& m) { disk->fail("rw_mode", m); });
      }
      if (auto mode = disk->get_table("preprocessor_cache_mode")) {
        if (auto use = mode->get_bool("use_preprocessor_cache_mode")) {
          config.direct_mode = *use;
        }
      }
    }
    if (auto redis = cache->get_table("redis")) {
      config.redis.emplace();
      read_redis_table(*redis, *config.redis);
      if (config.redis->endpoint.empty()) {
        redis->fail("endpoint",
                    "missing required key (the Redis server, e.g. "
                    "\"redis://127.0.0.1:6379\")");
      }
    }
    if (auto depend = cache->get_bool("depend_mode")) {
      depend_mode = *depend;
    }
    if (auto dirs = cache->get_string_array("basedirs")) {
      config.basedirs =
          normalized_basedirs(*dirs, [&](const std::string& m) { cache->fail("basedirs", m); });
    }
  }
  if (auto dir = env.get_nonempty("SCCACHE_DIR")) {
    config.dir = fs::path(*dir);
  }
  if (auto size = env.get_nonempty("SCCACHE_CACHE_SIZE")) {
    auto parsed = parse_size(*size);
    if (!parsed || *parsed == 0) {
      env_error("SCCACHE_CACHE_SIZE", "expected a size above zero such as \"10G\" or \"500M\"");
    }
    config.max_size = *parsed;
  }
  if (auto mode = env.get_nonempty("SCCACHE_LOCAL_RW_MODE")) {
    config.local_read_only =
        read_only_mode(*mode, [&](const std::string& m) { env_error("SCCACHE_LOCAL_RW_MODE", m); });
  }
  if (auto direct = env.get_nonempty("SCCACHE_DIRECT")) {
    config.direct_mode = !env_flag_off(env, "SCCACHE_DIRECT");
  }
  if (env.get_nonempty("SCCACHE_DEPEND_MODE")) {
    depend_mode = !env_flag_off(env, "SCCACHE_DEPEND_MODE");
  }
  if (auto dirs = env.get_nonempty("SCCACHE_BASEDIRS")) {
    std::vector<std::string> list;
    std::string_view rest = *dirs;
    while (!rest.empty()) {
      const size_t colon = rest.find(':');
      list.emplace_back(rest.substr(0, colon));
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    }
    config.basedirs =
        normalized_basedirs(list, [&](const std::string& m) { env_error("SCCACHE_BASEDIRS", m); });
  }
  if (env_flag_off(env, "SCCACHE_CACHE")) {
    config.enabled = false;
  }
  if (config.dir.is_relative()) {
    config.dir = fs::absolute(config.dir);
  }
  read_redis_env(env, config.redis);
  // Preprocessed keys are what a fleet (Redis) or checkouts at other paths (basedirs) share;
  // depend-mode keys name this checkout's paths, so they are only the default where nothing is
  // shared.
  config.depend_mode =
      config.direct_mode && depend_mode.value_or(!config.redis && config.basedirs.empty());
  return config;
}

std::span<const ConfigKey> cache_keys() {
  return k_cache_keys;
}
std::span<const ConfigKey> cache_disk_keys() {
  return k_disk_keys;
}
std::span<const ConfigKey> cache_redis_keys() {
  return k_redis_keys;
}

}  // namespace sccache::cache
