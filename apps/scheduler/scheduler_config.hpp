// scheduler.conf: the seed-era form (only [client_auth] and [server_auth]; listens on
// 0.0.0.0:10500) and the later upstream form (public_addr), plus our own optional keys.
#pragma once

#include <chrono>
#include <filesystem>
#include <span>
#include <vector>

#include "sccache/config_keys.hpp"

#include "common/config_document.hpp"
#include "common/net_address.hpp"

namespace sccache {

struct SchedulerConfig {
  ConfigDocument document;
  HostPort listen{"0.0.0.0", k_default_scheduler_port};  // public_addr, else 0.0.0.0:10500
  AuthSection client_auth;
  AuthSection server_auth;
  std::vector<std::filesystem::path> plugin_dirs;
  // A build server that has not sent a heartbeat for this long is dropped.
  std::chrono::seconds server_timeout{10};
  // Servers are asked to heartbeat this often (capped at a third of server_timeout).
  std::chrono::seconds heartbeat_interval{3};
  // [tls]: serve https with the operator's certificate (PEM, intermediates after it) and key.
  // Both empty: plain http (put a TLS proxy in front, or keep the scheduler on a trusted net).
  std::filesystem::path tls_certificate_file;
  std::filesystem::path tls_key_file;
};

// Throws ConfigError naming file, line and key.
SchedulerConfig read_scheduler_config(ConfigDocument document);

// The keys of scheduler.conf's root table and of its [tls] table (what the reader accepts and
// docs/configuration.md lists).
std::span<const ConfigKey> scheduler_config_keys();
std::span<const ConfigKey> scheduler_tls_keys();

}  // namespace sccache
