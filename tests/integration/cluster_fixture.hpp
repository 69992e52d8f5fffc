// A real cluster on loopback for integration tests: the sccache-dist scheduler and build servers
// as child processes, configured like the quickstart, and the sccache client run against them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace sccache::test {

// Skips the whole test binary (loudly) when the overlay build server cannot run here.
void require_overlay_builder();

// The builder the cluster's build servers use: "overlay" (the default) or "docker", from
// $SCCACHE_TEST_BUILDER.
std::string test_builder();
// Skips the whole test binary (loudly) when test_builder() cannot run here. For docker, a
// Docker engine must answer on its socket; if none does, scripts/start-dockerd.sh is tried first.
void require_builder();

// Defined once at namespace scope in a test file, so the whole binary skips before any test runs:
//   const OverlayBuilderRequired g_overlay_builder_required;
struct OverlayBuilderRequired {
  OverlayBuilderRequired() { require_overlay_builder(); }
};
struct BuilderRequired {
  BuilderRequired() { require_builder(); }
};

struct ServerStatusView {
  bool connected = false;
  int num_servers = -1;
  int num_cpus = -1;
  std::map<std::string, int> cpus_by_server;
  std::string raw;
};

class Cluster {
 public:
  Cluster();

  // Starts the scheduler; `extra` is appended to its scheduler.conf.
  ChildProcess& start_scheduler(const std::string& client_token = "my client token",
                                const std::string& server_token = "my server token",
                                const std::string& extra = "server_timeout_secs = 3\n");
  // Starts the scheduler with the given [client_auth] and [server_auth] table bodies (the lines
  // after the header, e.g. token_table("x")).
  ChildProcess& start_scheduler_with_auth(const std::string& client_auth,
                                          const std::string& server_auth,
                                          const std::string& extra = "server_timeout_secs = 3\n");
  // Starts a build server on a fresh loopback port; returns its index. `cache_dir` defaults to a
  // directory of the cluster's own.
  size_t start_server(const std::string& token = "my server token",
                      const std::filesystem::path& cache_dir = {});
  // Starts a build server whose [scheduler_auth] body is `scheduler_auth`, with public_addr
  // 127.0.0.1:`port` (0 picks a free port).
  size_t start_server_with_auth(const std::string& scheduler_auth,
                                const std::filesystem::path& cache_dir = {}, uint16_t port = 0);
  ChildProcess& server(size_t index) { return *m_servers.at(index); }
  ChildProcess& scheduler() { return *m_scheduler; }
  const std::string& server_id(size_t index) const { return m_server_ids.at(index); }
  uint16_t scheduler_port() const { return m_scheduler_port; }

  // Writes a client config for this cluster and returns its path; `extra_dist` is appended to
  // its [dist] table.
  std::filesystem::path client_config(const std::string& token = "my client token",
                                      const std::string& extra_dist = "");
  // A client config whose [dist.auth] body is `dist_auth`.
  std::filesystem::path client_config_with_auth(const std::string& dist_auth,
                                                const std::string& extra_dist = "");
  RunResult sccache(std::vector<std::string> args, const std::string& token = "my client token");
  // Runs `sccache <args>` in `cwd` with the given client config.
  RunResult sccache_in(const std::filesystem::path& cwd, std::vector<std::string> args,
                       const std::filesystem::path& config);
  ServerStatusView status(const std::string& token = "my client token");
  // Waits until the scheduler reports `count` servers.
  bool wait_for_servers(int count, std::chrono::milliseconds timeout = std::chrono::seconds(20),
                        const std::string& token = "my client token");

  const std::filesystem::path& dir() const { return m_dir.path(); }
  // From now on, build servers and clients reach the scheduler at https://, trusting the
  // certificates in `trust_store` (SSL_CERT_FILE); the scheduler must then serve TLS ([tls]).
  void reach_scheduler_over_https(const std::filesystem::path& trust_store);

 private:
  // The [builder] table (with its header) for server `index`.
  std::string builder_table(size_t index) const;

  TempDir m_dir;
  uint16_t m_scheduler_port = 0;
  std::string m_scheduler_scheme = "http";
  std::map<std::string, std::string> m_tls_env;  // for servers and clients
  std::unique_ptr<ChildProcess> m_scheduler;
  std::vector<std::unique_ptr<ChildProcess>> m_servers;
  std::vector<std::string> m_server_ids;
};

struct HttpOptions {
  std::string body;
  std::string authorization;             // the Authorization header, if not empty
  std::streamsize declared_length = -1;  // > body size: announce more than is sent
  bool tls = false;  // HTTPS without certificate checks (build servers' certificates are pinned
                     // by fingerprint, which this raw test client does not do)
};
struct HttpReply {
  int status = 0;
  std::string body;
  std::string www_authenticate;
};
// One raw HTTP/1.1 exchange with a daemon on 127.0.0.1, for tests of its error handling.
HttpReply http_call(uint16_t port, const std::string& method, const std::string& path,
                    const HttpOptions& options = {});

// The body of a `type = "token"` auth table.
std::string token_table(const std::string& token);

std::filesystem::path sccache_dist_binary();
std::filesystem::path sccache_binary();

}  // namespace sccache::test
