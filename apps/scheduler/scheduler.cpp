#include "scheduler/scheduler.hpp"

#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include "common/http_replies.hpp"
#include "common/job_token.hpp"

namespace sccache {

namespace {
constexpr uint64_t k_max_control_body = 256 * 1024;
}  // namespace

Scheduler::Scheduler(SchedulerConfig config)
    : m_config(std::move(config)),
      m_plugins(AppRole::scheduler, m_config.plugin_dirs),
      m_log(m_plugins.context().logger("scheduler")),
      m_client_auth(m_plugins.make_verifier(m_config.client_auth, AuthRole::client_verifier)),
      m_server_auth(m_plugins.make_verifier(m_config.server_auth, AuthRole::server_verifier)),
      m_servers(m_config.server_timeout) {
  ServerOptions options;
  options.bind_host = m_config.listen.host;
  options.port = m_config.listen.port;
  options.max_body_bytes = k_max_control_body;
  // Allocation requests may wait for a free slot, each holding a worker meanwhile.
  options.worker_threads = 256;
  options.max_queued_connections = 512;
  if (!m_config.tls_certificate_file.empty()) {
    struct stat key_stat {};
    if (::stat(m_config.tls_key_file.c_str(), &key_stat) == 0 && (key_stat.st_mode & S_IROTH)) {
      m_log->warn("the TLS private key {} is readable by every user of this machine; chmod 600 it",
                  m_config.tls_key_file.string());
    }
    options.tls = true;
    options.tls_certificate_file = m_config.tls_certificate_file;
    options.tls_key_file = m_config.tls_key_file;
  }
  m_http = m_plugins.transport().create_server("http", options, m_plugins.context());
  m_http->add_route("POST", std::string(wire::k_heartbeat_path),
                    [this](ServerRequest& rq, ServerResponse& rs) { handle_heartbeat(rq, rs); });
  m_http->add_route("GET", std::string(wire::k_status_path),
                    [this](ServerRequest& rq, ServerResponse& rs) { handle_status(rq, rs); });
  m_http->add_route("POST", std::string(wire::k_alloc_path),
                    [this](ServerRequest& rq, ServerResponse& rs) { handle_alloc(rq, rs); });
  m_http->add_route("POST", std::string(wire::k_job_failed_path),
                    [this](ServerRequest& rq, ServerResponse& rs) { handle_job_failed(rq, rs); });
  m_http->add_route("POST", std::string(wire::k_jobs_done_path),
                    [this](ServerRequest& rq, ServerResponse& rs) { handle_jobs_done(rq, rs); });
  add_health_route(*m_http);
}

Scheduler::~Scheduler() {
  stop();
}

void Scheduler::start() {
  m_http->start();
  m_reaper = std::thread([this] { reap_loop(); });
  const auto tls = m_http->tls_identity();
  m_log->info(
      "scheduler {} listening on {}://{}:{} (client auth: {}, server auth: {}, server timeout "
      "{}s{})",
      software_version(), tls ? "https" : "http", m_config.listen.host, m_http->port(),
      m_config.client_auth.type, m_config.server_auth.type, m_config.server_timeout.count(),
      tls ? ", certificate sha256 " + tls->certificate_sha256 : "");
}

void Scheduler::stop() {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping) {
      return;
    }
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_reaper.joinable()) {
    m_reaper.join();
  }
  m_servers.close();
  m_http->stop();
}

uint16_t Scheduler::port() const {
  return m_http->port();
}

void Scheduler::reap_loop() {
  // Check often enough that a dead server is noticed within ~1 s of its timeout.
  const auto period =
      std::min<std::chrono::milliseconds>(std::chrono::seconds(1), m_servers.timeout() / 4);
  std::unique_lock lock(m_mutex);
  while (!m_wake.wait_for(lock, period, [this] { return m_stopping; })) {
    lock.unlock();
    for (const auto& id : m_servers.expire(ServerRegistry::Clock::now())) {
      m_log->warn("build server {} expired: no heartbeat for {} s", id,
                  m_config.server_timeout.count());
    }
    lock.lock();
  }
}

AuthDecision Scheduler::verify_guarded(CredentialVerifier& verifier,
                                       const AuthRequest& request) const {
  // The plugin contract says verify() never throws; a plugin that does must not turn into a 500
  // carrying its message to an unauthenticated caller.
  try {
    return verifier.verify(request);
  } catch (const std::exception& e) {
    m_log->error("the auth plugin threw while verifying a request from {}: {}",
                 request.peer_address, e.what());
  } catch (...) {
    m_log->error("the auth plugin threw while verifying a request from {}", request.peer_address);
  }
  return AuthDecision::refuse("the credential could not be checked");
}

bool Scheduler::authorize_client(ServerRequest& request, ServerResponse& response) {
  AuthDecision decision = verify_guarded(
      *m_client_auth, {request.header("Authorization").value_or(""), "", request.peer_address()});
  if (!decision.accepted) {
    m_log->warn("refused client {} on {}: {}", request.peer_address(), request.path(),
                decision.reason);
    reply_unauthorized(response, decision.reason);
    return false;
  }
  return true;
}

bool Scheduler::authorize_server(ServerRequest& request, ServerResponse& response,
                                 const std::string& server_id) {
  AuthDecision decision = verify_guarded(
      *m_server_auth,
      {request.header("Authorization").value_or(""), server_id, request.peer_address()});
  // The credential must name the server the request claims to be; a verifier that accepts
  // without binding the two (a custom plugin that forgot) must not let one server pose as another.
  if (decision.accepted && decision.identity != server_id) {
    decision = AuthDecision::refuse("the credential does not belong to build server " + server_id);
  }
  if (!decision.accepted) {
    m_log->warn("refused build server {} (claims to be {}): {}", request.peer_address(), server_id,
                decision.reason);
    reply_unauthorized(response, decision.reason);
    return false;
  }
  return true;
}

void Scheduler::handle_heartbeat(ServerRequest& request, ServerResponse& response) {
  // Authenticated before validated: an unauthenticated caller learns nothing of what a valid
  // heartbeat looks like.
  const std::string body = request.read_body(k_max_control_body);
  if (!authorize_server(request, response, wire::Heartbeat::claimed_server_id(body))) {
    return;
  }
  wire::Heartbeat heartbeat;
  try {
    heartbeat = wire::Heartbeat::from_json(body);
  } catch (const wire::WireError& e) {
    m_log->warn("bad heartbeat from {}: {}", request.peer_address(), e.what());
    reply_error(response, e);
    return;
  }
  const std::string id = heartbeat.server_id;
  const uint32_t cpus = heartbeat.num_cpus;
  const uint32_t jobs = heartbeat.max_jobs;
  const bool is_new =
      m_servers.record_heartbeat(std::move(heartbeat), ServerRegistry::Clock::now());
  if (is_new) {
    m_log->info("build server {} registered from {}: {} CPUs, {} job slots", id,
                request.peer_address(), cpus, jobs);
  } else {
    m_log->trace("heartbeat from {}", id);
  }
  wire::HeartbeatReply reply;
  reply.is_new = is_new;
  reply.heartbeat_interval_secs = static_cast<uint32_t>(m_config.heartbeat_interval.count());
  reply.server_timeout_secs = static_cast<uint32_t>(m_config.server_timeout.count());
  reply_json(response, 200, reply.to_json());
}

void Scheduler::handle_alloc(ServerRequest& request, ServerResponse& response) {
  if (!authorize_client(request, response)) {
    return;
  }
  wire::AllocRequest alloc;
  try {
    alloc = wire::AllocRequest::from_json(request.read_body(k_max_control_body));
  } catch (const wire::WireError& e) {
    reply_error(response, e);
    return;
  }
  const auto now = ServerRegistry::Clock::now();
  std::optional<Allocation> allocation =
      alloc.wait_ms == 0 ? m_servers.allocate(alloc.toolchain_id, now)
                         : m_servers.allocate_waiting(alloc.toolchain_id,
                                                      std::chrono::milliseconds(alloc.wait_ms));
  if (!allocation) {
    const size_t live = m_servers.live_servers(now);
    m_log->debug("no capacity for a job from {} ({} live servers)", request.peer_address(), live);
    reply_error(response, wire::ErrorCode::no_capacity,
                live == 0 ? "no build servers are connected to the scheduler"
                          : fmt::format("all {} build servers are busy", live));
    return;
  }
  wire::AllocReply reply;
  reply.job_id = allocation->job_id;
  reply.server_id = allocation->server_id;
  reply.cert_sha256 = allocation->cert_sha256;
  reply.need_toolchain = allocation->need_toolchain;
  reply.server_protocol = allocation->server_protocol;
  reply.job_token = issue_job_token(
      allocation->job_key, {allocation->job_id, allocation->server_id, alloc.toolchain_id, {}});
  m_log->debug("job {} -> {} (toolchain {}{})", reply.job_id, reply.server_id,
               alloc.toolchain_id.substr(0, 12), reply.need_toolchain ? ", to upload" : "");
  reply_json(response, 200, reply.to_json());
}

void Scheduler::handle_job_failed(ServerRequest& request, ServerResponse& response) {
  if (!authorize_client(request, response)) {
    return;
  }
  wire::JobFailure failure;
  try {
    failure = wire::JobFailure::from_json(request.read_body(k_max_control_body));
  } catch (const wire::WireError& e) {
    reply_error(response, e);
    return;
  }
  if (m_servers.job_failed(failure.server_id, failure.job_id, ServerRegistry::Clock::now())) {
    m_log->warn("job {} failed on {}: {}; backing that server off", failure.job_id,
                failure.server_id, failure.reason.substr(0, 300));
  }
  reply_json(response, 200, "{}");
}

void Scheduler::handle_jobs_done(ServerRequest& request, ServerResponse& response) {
  wire::JobsDone done;
  try {
    done = wire::JobsDone::from_json(request.read_body(k_max_control_body));
  } catch (const wire::WireError& e) {
    reply_error(response, e);
    return;
  }
  if (!authorize_server(request, response, done.server_id)) {
    return;
  }
  m_servers.jobs_done(done.server_id, done.job_ids);
  reply_json(response, 200, "{}");
}

void Scheduler::handle_status(ServerRequest& request, ServerResponse& response) {
  if (!authorize_client(request, response)) {
    return;
  }
  wire::SchedulerStatus status = m_servers.status(ServerRegistry::Clock::now());
  status.version = std::string(software_version());
  reply_json(response, 200, status.to_json());
}

}  // namespace sccache
