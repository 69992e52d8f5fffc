#include "scheduler/scheduler_config.hpp"

#include <algorithm>
#include <fstream>
#include <string_view>

namespace sccache {

namespace {

// [tls] certificate_file and key_file: both required, both readable now (an error at start names
// the key, rather than a TLS failure later).
void read_tls_files(const ConfigSection& tls, SchedulerConfig& config) {
  tls.reject_unknown_keys({"certificate_file", "key_file"});
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

SchedulerConfig read_scheduler_config(ConfigDocument document) {
  const ConfigSection root = document.section();
  root.reject_unknown_keys({"public_addr", "client_auth", "server_auth", "plugin_dir",
                            "server_timeout_secs", "heartbeat_interval_secs", "tls"});
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
