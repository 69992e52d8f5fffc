#include "scheduler/scheduler_config.hpp"

#include <algorithm>
#include <fstream>
#include <string_view>

namespace sccache {

namespace {

constexpr ConfigKey k_root_keys[] = {
    {"public_addr", ConfigValueType::string, "`0.0.0.0:10500`",
     "`\"ip[:port]\"`: where the scheduler listens (the seed-era file has no such key)"},
    {"client_auth", ConfigValueType::table, "required",
     "how clients are checked, by its `type`: `token` (`token = \"...\"`), `jwt_validate`, "
     "`DANGEROUSLY_INSECURE`, or a plugin's type (see [auth](#auth))"},
    {"server_auth", ConfigValueType::table, "required",
     "how build servers are checked, by its `type`: `token`, `jwt_hs256`, "
     "`DANGEROUSLY_INSECURE`, or a plugin's type"},
    {"plugin_dir", ConfigValueType::path_or_paths, "", "searched first for plugins"},
    {"server_timeout_secs", ConfigValueType::integer, "`10`",
     "a build server silent this many seconds is dropped"},
    {"heartbeat_interval_secs", ConfigValueType::integer, "`3`",
     "how often (seconds) servers are asked to heartbeat; at most a third of the timeout"},
    {"tls", ConfigValueType::table, "none (plain http)",
     "serve https with your certificate: `certificate_file` and `key_file` (below)"},
};

constexpr ConfigKey k_tls_keys[] = {
    {"certificate_file", ConfigValueType::path, "required",
     "the scheduler's certificate (PEM), then any intermediates"},
    {"key_file", ConfigValueType::path, "required",
     "its unencrypted PEM private key; keep it mode 600 (the scheduler warns otherwise)"},
};

// [tls] certificate_file and key_file: both required, both readable now (an error at start names
// the key, rather than a TLS failure later).
void read_tls_files(const ConfigSection& tls, SchedulerConfig& config) {
  tls.reject_unknown_keys(k_tls_keys);
  for (const char* key : {"certificate_file", "key_file"}) {
    auto path = tls.get_path(key);
    if (!path) {
      tls.fail(key, "required in [tls] (the scheduler's PEM certificate and its private key)");
    }
    std::ifstream readable(*path);
    if (!readable) {
      tls.fail(key, "cannot read " + path->string());
    }
    (std::string_view(key) == "key_file" ? config.tls_key_file : config.tls_certificate_file) =
        *path;
  }
}

}  // namespace

std::span<const ConfigKey> scheduler_config_keys() {
  return k_root_keys;
}

std::span<const ConfigKey> scheduler_tls_keys() {
  return k_tls_keys;
}

SchedulerConfig read_scheduler_config(ConfigDocument document) {
  const ConfigSection root = document.section();
  root.reject_unknown_keys(k_root_keys);
  SchedulerConfig config{
      document,
      {"0.0.0.0", k_default_scheduler_port},
      read_auth_section(root.require_table("client_auth"), AuthRole::client_verifier),
      read_auth_section(root.require_table("server_auth"), AuthRole::server_verifier),
      read_plugin_dirs(root)};
  if (auto addr = root.get_string("public_addr")) {
    std::string error;
    auto parsed = parse_host_optional_port(*addr, k_default_scheduler_port, &error);
    if (!parsed) {
      root.fail("public_addr", error);
    }
    config.listen = *parsed;
  }
  if (auto timeout = read_seconds(root, "server_timeout_secs")) {
    config.server_timeout = *timeout;
  }
  if (auto interval = read_seconds(root, "heartbeat_interval_secs")) {
    config.heartbeat_interval = *interval;
  }
  config.heartbeat_interval = std::max(
      std::chrono::seconds(1), std::min(config.heartbeat_interval, config.server_timeout / 3));
  if (auto tls = root.get_table("tls")) {
    read_tls_files(*tls, config);
  }
  return config;
}

}  // namespace sccache
