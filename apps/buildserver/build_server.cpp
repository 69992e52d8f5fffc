#include "buildserver/build_server.hpp"

#include <cstring>
#include <ifaddrs.h>
#include <netdb.h>
#include <sched.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "util/fs.hpp"
#include "util/random.hpp"

#include "common/host_cpus.hpp"
#include "common/http_replies.hpp"

namespace sccache {

namespace {

// Whether `host` is an address of one of this machine's interfaces.
bool is_local_interface_address(const std::string& host) {
  if (host == "0.0.0.0" || host == "::" || is_loopback_ip(host)) {
    return true;
  }
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    return false;
  }
  bool found = false;
  for (ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr ||
        (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6)) {
      continue;
    }
    char name[NI_MAXHOST];
    socklen_t len = a->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    if (getnameinfo(a->ifa_addr, len, name, sizeof name, nullptr, 0, NI_NUMERICHOST) == 0) {
      std::string text(name);
      found = text == host || text.substr(0, text.find('%')) == host;
    }
  }
  freeifaddrs(list);
  return found;
}

}  // namespace

BuildServer::BuildServer(ServerConfig config)
    : m_config(std::move(config)),
      m_plugins(AppRole::server, m_config.plugin_dirs, m_config.public_addr.to_string()),
      m_log(m_plugins.context().logger("server")),
      m_sandbox(m_plugins.make_sandbox(m_config.builder_type, m_config.builder)),
      m_auth(m_plugins.make_provider(m_config.scheduler_auth, AuthRole::server_credential)),
      m_nonce(util::random_hex(16)),
      m_job_key(make_job_key()),
      m_num_cpus(usable_cpus()),
      m_max_jobs(m_config.max_jobs != 0 ? m_config.max_jobs : usable_cpus()) {
  m_sandbox->check_ready();
  // Clients' toolchains and sources pass through here: no other local user may read them.
  util::make_private_directory(m_config.cache_dir);
  util::make_private_directory(m_config.cache_dir / "tc");
  util::make_private_directory(m_config.cache_dir / "jobs");
  m_toolchains = std::make_unique<ToolchainArchives>(
      m_config.cache_dir / "tc", m_config.toolchain_cache_size,
      [this](const std::string& id) { m_sandbox->evict_toolchain(id); });
  m_jobs = std::make_unique<JobService>(
      JobServiceOptions{m_config.public_addr.to_string(), m_job_key, m_config.cache_dir / "jobs",
                        m_max_jobs},
      *m_sandbox, *m_toolchains, m_log, [this](const std::string& id) { job_finished(id); });

  ServerOptions options;
  const HostPort listen = listen_address();
  options.bind_host = listen.host;
  options.port = listen.port;
  options.tls = true;
  options.tls_names = {m_config.public_addr.host};
  options.worker_threads = std::max(16u, m_max_jobs * 2 + 4);
  options.max_body_bytes = std::max<uint64_t>(m_config.toolchain_cache_size, 1ull << 30);
  const TransportFactory& transport = m_plugins.transport();
  m_http = transport.create_server("http", options, m_plugins.context());
  add_health_route(*m_http);
  m_jobs->add_routes(*m_http);
  m_scheduler_client = transport.create_client("http", ClientOptions{}, m_plugins.context());
}

BuildServer::~BuildServer() {
  stop();
}

HostPort BuildServer::listen_address() const {
  if (m_config.bind_address) {
    return *m_config.bind_address;
  }
  // public_addr is what clients dial; behind NAT it is not ours to bind, so listen on every
  // interface at its port, as the seed-era server did on 0.0.0.0:10501.
  if (is_local_interface_address(m_config.public_addr.host)) {
    return m_config.public_addr;
  }
  m_log->info(
      "public_addr {} is not an address of this machine; listening on 0.0.0.0:{} (set "
      "bind_address to choose)",
      m_config.public_addr.host, m_config.public_addr.port);
  return {"0.0.0.0", m_config.public_addr.port};
}

void BuildServer::start() {
  m_http->start();
  m_log->info(
      "build server {} ({}) listening on port {}, {} CPUs, {} job slots, sandbox: {}, "
      "certificate sha256 {}",
      m_config.public_addr.to_string(), software_version(), m_http->port(), m_num_cpus, m_max_jobs,
      m_sandbox->describe(), m_http->tls_identity()->certificate_sha256);
  if (!m_config.scheduler.tls && !is_loopback_ip(m_config.scheduler.address.host) &&
      m_config.scheduler.address.host != "localhost") {
    m_log->warn(
        "the scheduler at {} is reached over plain http: this server's credentials and job key "
        "cross the network unencrypted, and whoever can read them can run jobs here. Use an "
        "https scheduler_url (the scheduler behind a TLS proxy) or a trusted network",
        m_config.scheduler.to_string());
  }
  m_heartbeat = std::thread([this] { heartbeat_loop(); });
  m_done_notifier = std::thread([this] { done_loop(); });
}

void BuildServer::stop() {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping) {
      return;
    }
    m_stopping = true;
  }
  m_wake.notify_all();
  if (m_heartbeat.joinable()) {
    m_heartbeat.join();
  }
  if (m_done_notifier.joinable()) {
    m_done_notifier.join();
  }
  if (m_http) {
    m_http->stop();
  }
}

uint16_t BuildServer::port() const {
  return m_http->port();
}

std::chrono::milliseconds BuildServer::send_heartbeat() {
  wire::Heartbeat heartbeat;
  heartbeat.server_id = m_config.public_addr.to_string();
  heartbeat.version = std::string(software_version());
  heartbeat.num_cpus = m_num_cpus;
  heartbeat.max_jobs = m_max_jobs;
  heartbeat.running_job_ids = m_jobs->running_job_ids();
  heartbeat.running_jobs = static_cast<uint32_t>(heartbeat.running_job_ids.size());
  heartbeat.toolchains = m_toolchains->ids();
  heartbeat.job_key = m_job_key;
  heartbeat.nonce = m_nonce;
  const TlsIdentity identity = *m_http->tls_identity();
  heartbeat.cert_sha256 = identity.certificate_sha256;
  heartbeat.cert_pem = identity.certificate_pem;
  heartbeat.sandbox = m_sandbox->describe();

  ClientResponse response = post_to_scheduler(wire::k_heartbeat_path, heartbeat.to_json());
  if (response.status == 401) {
    throw std::runtime_error(fmt::format("the scheduler refused this server's credentials: {}",
                                         wire::error_from_body(response.body)));
  }
  if (response.status != 200) {
    throw std::runtime_error(fmt::format("the scheduler answered {}: {}", response.status,
                                         wire::error_from_body(response.body)));
  }
  wire::HeartbeatReply reply = wire::HeartbeatReply::from_json(response.body);
  if (reply.is_new) {
    m_log->info("registered with the scheduler at {}", m_config.scheduler.to_string());
  }
  auto interval = m_config.heartbeat_interval.value_or(
      std::chrono::seconds(std::max(1u, reply.heartbeat_interval_secs)));
  return std::chrono::duration_cast<std::chrono::milliseconds>(interval);
}

ClientResponse BuildServer::post_to_scheduler(std::string_view path, std::string body) {
  Endpoint scheduler{m_config.scheduler.tls, m_config.scheduler.address.host,
                     m_config.scheduler.address.port, ""};
  ClientRequest request;
  request.method = "POST";
  request.path = std::string(path);
  request.content_type = "application/json";
  request.body = std::move(body);
  request.headers = {{"Authorization", m_auth->authorization()}};
  request.timeout = std::chrono::seconds(10);
  return m_scheduler_client->send(scheduler, request);
}

void BuildServer::job_finished(const std::string& job_id) {
  {
    std::lock_guard lock(m_mutex);
    m_done_jobs.push_back(job_id);
  }
  m_wake.notify_all();
}

void BuildServer::done_loop() {
  std::unique_lock lock(m_mutex);
  while (true) {
    m_wake.wait(lock, [this] { return m_stopping || !m_done_jobs.empty(); });
    if (m_stopping) {
      return;
    }
    wire::JobsDone done;
    done.server_id = m_config.public_addr.to_string();
    done.job_ids.swap(m_done_jobs);
    lock.unlock();
    try {
      ClientResponse response = post_to_scheduler(wire::k_jobs_done_path, done.to_json());
      if (response.status != 200) {
        m_log->debug("the scheduler answered {} to jobs_done", response.status);
      }
    } catch (const std::exception& e) {
      // The next heartbeat's running-job list reconciles the scheduler anyway.
      m_log->debug("could not report finished jobs: {}", e.what());
    }
    lock.lock();
  }
}

void BuildServer::heartbeat_loop() {
  bool failing = false;
  auto retry = std::chrono::milliseconds(500);
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    lock.unlock();
    std::chrono::milliseconds wait;
    try {
      wait = send_heartbeat();
      if (failing) {
        m_log->info("heartbeats to the scheduler at {} work again", m_config.scheduler.to_string());
      }
      failing = false;
      retry = std::chrono::milliseconds(500);
    } catch (const std::exception& e) {
      if (!failing) {
        m_log->warn("heartbeat to the scheduler at {} failed: {} (retrying)",
                    m_config.scheduler.to_string(), e.what());
      } else {
        m_log->debug("heartbeat failed again: {}", e.what());
      }
      failing = true;
      wait = retry;
      retry = std::min<std::chrono::milliseconds>(retry * 2, std::chrono::seconds(5));
    }
    lock.lock();
    m_wake.wait_for(lock, wait, [this] { return m_stopping; });
  }
}

}  // namespace sccache
