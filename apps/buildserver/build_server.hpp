// The build server daemon: serves clients over TLS with a certificate made at start, runs jobs in
// the configured sandbox, and heartbeats to the scheduler (CPUs, running jobs, certificate).
//
// Threads: requests run on the transport's worker threads; one heartbeat thread. start()/stop()
// are called from the main thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "buildserver/job_service.hpp"
#include "buildserver/server_config.hpp"
#include "common/plugin_host.hpp"
#include "common/wire.hpp"

namespace sccache {

class BuildServer {
 public:
  // Loads the sandbox and auth plugins and checks the sandbox can run; throws ConfigError,
  // PluginError or SandboxError (with a message an operator can act on).
  explicit BuildServer(ServerConfig config);
  ~BuildServer();

  void start();  // throws TransportError if the port cannot be bound
  void stop();   // idempotent
  uint16_t port() const;

 private:
  void heartbeat_loop();
  // Tells the scheduler about finished jobs as soon as they finish (batched), freeing their slots.
  void done_loop();
  void job_finished(const std::string& job_id);
  ClientResponse post_to_scheduler(std::string_view path, std::string body);
  // Sends one heartbeat and returns the interval to wait before the next one. Throws (a
  // TransportError, a WireError or std::runtime_error) when the scheduler cannot be reached,
  // refuses this server or answers something unreadable: there is no partial success.
  std::chrono::milliseconds send_heartbeat();
  HostPort listen_address() const;

  ServerConfig m_config;
  PluginHost m_plugins;  // outlives every plugin object below
  std::shared_ptr<spdlog::logger> m_log;
  std::unique_ptr<Sandbox> m_sandbox;
  std::unique_ptr<CredentialProvider> m_auth;
  std::unique_ptr<ToolchainArchives> m_toolchains;
  std::unique_ptr<JobService> m_jobs;
  std::unique_ptr<TransportServer> m_http;
  std::unique_ptr<TransportClient> m_scheduler_client;
  const std::string m_nonce;
  const std::string m_job_key;
  const unsigned m_num_cpus;
  const unsigned m_max_jobs;

  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::thread m_heartbeat;
  std::vector<std::string> m_done_jobs;  // guarded by m_mutex
  std::thread m_done_notifier;
};

}  // namespace sccache
