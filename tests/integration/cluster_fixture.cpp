#include "integration/cluster_fixture.hpp"

#include <cstdlib>
#include <iostream>
#include <unistd.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <fmt/format.h>

namespace sccache::test {
namespace fs = std::filesystem;

fs::path sccache_dist_binary() {
  return bin_dir() / "sccache-dist";
}
fs::path sccache_binary() {
  return bin_dir() / "sccache";
}

void require_overlay_builder() {
  if (::geteuid() != 0) {
    skip_whole_binary("the overlay build server needs root (it mounts overlayfs); run as root");
  }
  if (!fs::exists("/usr/bin/bwrap")) {
    skip_whole_binary("bubblewrap is not installed (/usr/bin/bwrap); run scripts/install-deps.sh");
  }
}

std::string test_builder() {
  const char* builder = std::getenv("SCCACHE_TEST_BUILDER");
  return builder != nullptr && *builder != '\0' ? builder : "overlay";
}

namespace {

// The Docker engine's socket, as the docker builder finds it by default.
std::string docker_socket() {
  const char* host = std::getenv("DOCKER_HOST");
  std::string value = host != nullptr ? host : "";
  return value.rfind("unix://", 0) == 0 ? value.substr(7) : "/var/run/docker.sock";
}

bool docker_engine_answers() {
  try {
    Poco::Net::StreamSocket socket(
        Poco::Net::SocketAddress(Poco::Net::SocketAddress::UNIX_LOCAL, docker_socket()));
    socket.setReceiveTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPClientSession session(socket);
    Poco::Net::HTTPRequest request("GET", "/_ping", Poco::Net::HTTPMessage::HTTP_1_1);
    request.setHost("docker");
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response);
    return response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK;
  } catch (const Poco::Exception&) {
    return false;
  }
}

}  // namespace

void require_builder() {
  const std::string builder = test_builder();
  if (builder == "overlay") {
    require_overlay_builder();
    return;
  }
  if (builder != "docker") {
    throw std::runtime_error("SCCACHE_TEST_BUILDER must be overlay or docker, not " + builder);
  }
  if (!docker_engine_answers()) {
    const fs::path script = source_dir() / "scripts" / "start-dockerd.sh";
    RunResult started = run({"bash", script.string()}, {}, {}, std::chrono::seconds(90));
    std::cerr << started.out << started.err;
  }
  if (!docker_engine_answers()) {
    skip_whole_binary("the docker build server needs a Docker engine, and none answers at " +
                      docker_socket() +
                      " (scripts/start-dockerd.sh could not start one; install docker.io with "
                      "scripts/install-deps.sh)");
  }
}

Cluster::Cluster() : m_dir("sccache-cluster") {}

HttpReply http_call(uint16_t port, const std::string& method, const std::string& path,
                    const HttpOptions& options) {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (options.tls) {
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "",
                                                             Poco::Net::Context::VERIFY_NONE);
    session = std::make_unique<Poco::Net::HTTPSClientSession>("127.0.0.1", port, context);
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port);
  }
  session->setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!options.authorization.empty()) {
    request.set("Authorization", options.authorization);
  }
  request.setContentLength(options.declared_length >= 0
                               ? options.declared_length
                               : static_cast<std::streamsize>(options.body.size()));
  session->sendRequest(request) << options.body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session->receiveResponse(response);
  HttpReply reply;
  reply.status = response.getStatus();
  reply.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  reply.www_authenticate = response.get("WWW-Authenticate", "");
  return reply;
}

std::string token_table(const std::string& token) {
  return fmt::format("type = \"token\"\ntoken = \"{}\"\n", token);
}

ChildProcess& Cluster::start_scheduler(const std::string& client_token,
                                       const std::string& server_token, const std::string& extra) {
  return start_scheduler_with_auth(token_table(client_token), token_table(server_token), extra);
}

ChildProcess& Cluster::start_scheduler_with_auth(const std::string& client_auth,
                                                 const std::string& server_auth,
                                                 const std::string& extra) {
  m_scheduler_port = free_port();
  write_file(m_dir / "scheduler.conf",
             fmt::format("public_addr = \"127.0.0.1:{}\"\n{}\n[client_auth]\n{}\n[server_auth]\n{}",
                         m_scheduler_port, extra, client_auth, server_auth));
  m_scheduler = std::make_unique<ChildProcess>(
      std::vector<std::string>{sccache_dist_binary().string(), "scheduler", "--config",
                               (m_dir / "scheduler.conf").string()},
      std::map<std::string, std::string>{{"RUST_LOG", "debug"}}, fs::path(), m_dir.path());
  return *m_scheduler;
}

std::string Cluster::builder_table(size_t index) const {
  if (test_builder() == "docker") {
    // Defaults otherwise: the engine's socket, jobs as 65534:65534, 1 CPU and 4 GiB each. The
    // config file's path labels the server's containers and images.
    return "[builder]\ntype = \"docker\"\n";
  }
  return fmt::format(R"([builder]
type = "overlay"
build_dir = "{}/build{}"
bwrap_path = "/usr/bin/bwrap"
)",
                     m_dir.path().string(), index);
}

size_t Cluster::start_server(const std::string& token, const fs::path& cache_dir) {
  return start_server_with_auth(token_table(token), cache_dir);
}

size_t Cluster::start_server_with_auth(const std::string& scheduler_auth, const fs::path& cache_dir,
                                       uint16_t port) {
  const size_t index = m_servers.size();
  if (port == 0) {
    port = free_port();
  }
  const fs::path conf = m_dir / fmt::format("server{}.conf", index);
  write_file(conf,
             fmt::format(R"(# This is where client toolchains will be stored.
cache_dir = "{}"
public_addr = "127.0.0.1:{}"
scheduler_url = "{}://127.0.0.1:{}"

{}
[scheduler_auth]
{})",
                         cache_dir.empty() ? (m_dir / fmt::format("toolchains{}", index)).string()
                                           : cache_dir.string(),
                         port, m_scheduler_scheme, m_scheduler_port, builder_table(index),
                         scheduler_auth));
  std::map<std::string, std::string> env = m_tls_env;
  env["RUST_LOG"] = "debug";
  m_servers.push_back(std::make_unique<ChildProcess>(
      std::vector<std::string>{sccache_dist_binary().string(), "server", "--config", conf.string()},
      env, fs::path(), m_dir.path()));
  m_server_ids.push_back(fmt::format("127.0.0.1:{}", port));
  return index;
}

fs::path Cluster::client_config(const std::string& token, const std::string& extra_dist) {
  return client_config_with_auth(token_table(token), extra_dist);
}

fs::path Cluster::client_config_with_auth(const std::string& dist_auth,
                                          const std::string& extra_dist) {
  const fs::path path =
      m_dir /
      ("client-" + std::to_string(std::hash<std::string>{}(dist_auth + extra_dist)) + ".conf");
  write_file(path, fmt::format(R"([dist]
scheduler_url = "{}://127.0.0.1:{}"
cache_dir = "{}/client-cache"
toolchains = []
toolchain_cache_size = 1073741824
{}

[dist.auth]
{})",
                               m_scheduler_scheme, m_scheduler_port, m_dir.path().string(),
                               extra_dist, dist_auth));
  return path;
}

RunResult Cluster::sccache_in(const fs::path& cwd, std::vector<std::string> args,
                              const fs::path& config) {
  args.insert(args.begin(), sccache_binary().string());
  std::map<std::string, std::string> env = m_tls_env;
  env["SCCACHE_CONF"] = config.string();
  return run(std::move(args), env, cwd);
}

RunResult Cluster::sccache(std::vector<std::string> args, const std::string& token) {
  return sccache_in(fs::path(), std::move(args), client_config(token));
}

void Cluster::reach_scheduler_over_https(const fs::path& trust_store) {
  m_scheduler_scheme = "https";
  m_tls_env["SSL_CERT_FILE"] = trust_store.string();
}

ServerStatusView Cluster::status(const std::string& token) {
  ServerStatusView view;
  RunResult result = sccache({"--dist-status", "--json"}, token);
  view.raw = result.out + result.err;
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(result.out).extract<Poco::JSON::Object::Ptr>();
    auto pair = root->getArray("SchedulerStatus");
    if (!pair) {
      return view;
    }
    auto status = pair->getObject(1);
    view.connected = true;
    view.num_servers = status->getValue<int>("num_servers");
    view.num_cpus = status->getValue<int>("num_cpus");
    auto servers = status->getArray("servers");
    for (unsigned i = 0; i < servers->size(); ++i) {
      auto s = servers->getObject(i);
      view.cpus_by_server[s->getValue<std::string>("id")] = s->getValue<int>("num_cpus");
    }
  } catch (const std::exception&) {
  }
  return view;
}

bool Cluster::wait_for_servers(int count, std::chrono::milliseconds timeout,
                               const std::string& token) {
  return wait_until([&] { return status(token).num_servers == count; }, timeout);
}

}  // namespace sccache::test
