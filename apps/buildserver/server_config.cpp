#include "buildserver/server_config.hpp"

#include "common/scheduler_location.hpp"

namespace sccache {

namespace {

HostPort require_host_port(const ConfigSection& root, std::string_view key) {
  std::string error;
  auto parsed = parse_host_port(root.require_string(key), &error);
  if (!parsed) {
    root.fail(key, error);
  }
  return *parsed;
}

}  // namespace

ServerConfig read_server_config(ConfigDocument document) {
  const ConfigSection root = document.section();
  root.reject_unknown_keys({"cache_dir", "toolchain_cache_size", "public_addr", "bind_address",
                            "scheduler_addr", "scheduler_url", "builder", "scheduler_auth",
                            "plugin_dir", "max_jobs", "heartbeat_interval_secs"});
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
