// The scheduler daemon: authenticates clients and build servers, tracks servers by heartbeat, and
// (from the compile-path work on) hands each job to a server.
//
// Threads: requests are handled on the transport's worker threads; one reaper thread expires
// silent servers. start()/stop() are called from the main thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "common/plugin_host.hpp"
#include "scheduler/scheduler_config.hpp"
#include "scheduler/server_registry.hpp"

namespace sccache {

class Scheduler {
 public:
  // Loads the auth plugins named by the config; throws ConfigError or PluginError.
  explicit Scheduler(SchedulerConfig config);
  ~Scheduler();

  void start();  // throws TransportError if the port cannot be bound
  void stop();   // idempotent
  uint16_t port() const;

 private:
  void handle_heartbeat(ServerRequest& request, ServerResponse& response);
  void handle_status(ServerRequest& request, ServerResponse& response);
  void handle_alloc(ServerRequest& request, ServerResponse& response);
  void handle_job_failed(ServerRequest& request, ServerResponse& response);
  void handle_jobs_done(ServerRequest& request, ServerResponse& response);
  // verify(), with a throwing plugin turned into a refusal (logged).
  AuthDecision verify_guarded(CredentialVerifier& verifier, const AuthRequest& request) const;
  // Verifies a build server claiming `server_id` (the credential must name that server); on
  // refusal answers 401 and returns false.
  bool authorize_server(ServerRequest& request, ServerResponse& response,
                        const std::string& server_id);
  // Verifies a client; on refusal answers 401 and returns false.
  bool authorize_client(ServerRequest& request, ServerResponse& response);
  void reap_loop();

  SchedulerConfig m_config;
  PluginHost m_plugins;  // outlives every plugin object below
  std::shared_ptr<spdlog::logger> m_log;
  std::unique_ptr<CredentialVerifier> m_client_auth;
  std::unique_ptr<CredentialVerifier> m_server_auth;
  ServerRegistry m_servers;
  std::unique_ptr<TransportServer> m_http;

  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::thread m_reaper;
};

}  // namespace sccache
