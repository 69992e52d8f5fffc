#include "buildserver/server_config.hpp"

#include "common/scheduler_location.hpp"

namespace sccache {

namespace {

constexpr ConfigKey k_root_keys[] = {
    {"cache_dir", ConfigValueType::path, "required",
     "toolchain cache (in `<cache_dir>/tc`); may be shared with a client's `cache_dir`"},
    {"toolchain_cache_size", ConfigValueType::size, "10 GiB", "toolchain cache limit"},
    {"public_addr", ConfigValueType::string, "required",
     "`\"ip:port\"`: the server's identity and the address clients dial"},
    {"bind_address", ConfigValueType::string, "see below", "`\"ip:port\"`: where to listen"},
    {"scheduler_addr", ConfigValueType::string, "",
     "`\"ip\"`: the scheduler (seed-era form, port 10500 implied)"},
    {"scheduler_url", ConfigValueType::string, "",
     "`\"http://host[:port]\"` or `\"https://...\"`: the scheduler (later form); exactly one of "
     "`scheduler_addr` and `scheduler_url` is required. `https` is for a scheduler with `[tls]` "
     "or behind a TLS reverse proxy: the certificate must chain to the system's CAs "
     "(`SSL_CERT_FILE`/`SSL_CERT_DIR` apply) and name the host"},
    {"builder", ConfigValueType::table, "required",
     "how jobs run, by its `type`: `overlay` (needs root) or `docker` (needs a Docker engine); "
     "their keys are below"},
    {"scheduler_auth", ConfigValueType::table, "required",
     "the credential presented to the scheduler, by its `type`: `token`, `jwt_token`, "
     "`DANGEROUSLY_INSECURE`, or a plugin's type"},
    {"plugin_dir", ConfigValueType::path_or_paths, "", "searched first for plugins"},
    {"max_jobs", ConfigValueType::integer, "CPUs", "concurrent jobs (1 to 4096)"},
    {"heartbeat_interval_secs", ConfigValueType::integer, "the scheduler's",
     "override the heartbeat period (seconds)"},
};

HostPort require_host_port(const ConfigSection& root, std::string_view key) {
  std::string error;
  auto parsed = parse_host_port(root.require_string(key), &error);
  if (!parsed) {
    root.fail(key, error);
  }
  return *parsed;
}

}  // namespace

std::span<const ConfigKey> server_config_keys() {
  return k_root_keys;
}

ServerConfig read_server_config(ConfigDocument document) {
  const ConfigSection root = document.section();
  root.reject_unknown_keys(k_root_keys);
  const ConfigSection builder = root.require_table("builder");
  ServerConfig config{
      document,
      *[&] {
        auto dir = root.get_path("cache_dir");
        if (!dir) {
          root.fail("cache_dir", "missing required key (where toolchains are stored)");
        }
        return dir;
      }(),
      k_default_toolchain_cache_size,
      require_host_port(root, "public_addr"),
      std::nullopt,
      read_scheduler_location(root),
      builder.require_string("type"),
      builder,
      read_auth_section(root.require_table("scheduler_auth"), AuthRole::server_credential),
      read_plugin_dirs(root)};
  if (auto size = root.get_size("toolchain_cache_size")) {
    if (*size == 0) {
      root.fail("toolchain_cache_size", "the toolchain cache size must be above zero");
    }
    config.toolchain_cache_size = *size;
  }
  if (root.contains("bind_address")) {
    config.bind_address = require_host_port(root, "bind_address");
  }
  if (auto jobs = root.get_integer("max_jobs")) {
    if (*jobs < 1 || *jobs > 4096) {
      root.fail("max_jobs", "expected a number of concurrent jobs from 1 to 4096");
    }
    config.max_jobs = static_cast<unsigned>(*jobs);
  }
  config.heartbeat_interval = read_seconds(root, "heartbeat_interval_secs");
  return config;
}

}  // namespace sccache
