#include "cluster_fixture.hpp"

#include <unistd.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
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

Cluster::Cluster() : m_dir("sccache-cluster") {}

ChildProcess& Cluster::start_scheduler(const std::string& client_token,
                                       const std::string& server_token, const std::string& extra) {
  m_scheduler_port = free_port();
  write_file(m_dir / "scheduler.conf",
             fmt::format("public_addr = \"127.0.0.1:{}\"\n{}\n[client_auth]\ntype = \"token\"\n"
                         "token = \"{}\"\n\n[server_auth]\ntype = \"token\"\ntoken = \"{}\"\n",
                         m_scheduler_port, extra, client_token, server_token));
  m_scheduler = std::make_unique<ChildProcess>(
      std::vector<std::string>{sccache_dist_binary().string(), "scheduler", "--config",
                               (m_dir / "scheduler.conf").string()},
      std::map<std::string, std::string>{{"RUST_LOG", "debug"}}, fs::path(), m_dir.path());
  return *m_scheduler;
}

size_t Cluster::start_server(const std::string& token, const fs::path& cache_dir) {
  const size_t index = m_servers.size();
  const uint16_t port = free_port();
  const fs::path conf = m_dir / fmt::format("server{}.conf", index);
  write_file(conf,
             fmt::format(R"(# This is where client toolchains will be stored.
cache_dir = "{5}"
public_addr = "127.0.0.1:{2}"
scheduler_url = "http://127.0.0.1:{3}"

[builder]
type = "overlay"
build_dir = "{0}/build{1}"
bwrap_path = "/usr/bin/bwrap"

[scheduler_auth]
type = "token"
token = "{4}"
)",
                         m_dir.path().string(), index, port, m_scheduler_port, token,
                         cache_dir.empty() ? (m_dir / fmt::format("toolchains{}", index)).string()
                                           : cache_dir.string()));
  m_servers.push_back(std::make_unique<ChildProcess>(
      std::vector<std::string>{sccache_dist_binary().string(), "server", "--config", conf.string()},
      std::map<std::string, std::string>{{"RUST_LOG", "debug"}}, fs::path(), m_dir.path()));
  m_server_ids.push_back(fmt::format("127.0.0.1:{}", port));
  return index;
}

fs::path Cluster::client_config(const std::string& token, const std::string& extra_dist) {
  const fs::path path =
      m_dir / ("client-" + std::to_string(std::hash<std::string>{}(token + extra_dist)) + ".conf");
  write_file(path, fmt::format(R"([dist]
scheduler_url = "http://127.0.0.1:{}"
cache_dir = "{}/client-cache"
toolchains = []
toolchain_cache_size = 1073741824
{}

[dist.auth]
type = "token"
token = "{}"
)",
                               m_scheduler_port, m_dir.path().string(), extra_dist, token));
  return path;
}

RunResult Cluster::sccache_in(const fs::path& cwd, std::vector<std::string> args,
                              const fs::path& config) {
  args.insert(args.begin(), sccache_binary().string());
  return run(std::move(args), {{"SCCACHE_CONF", config.string()}}, cwd);
}

RunResult Cluster::sccache(std::vector<std::string> args, const std::string& token) {
  args.insert(args.begin(), sccache_binary().string());
  return run(std::move(args), {{"SCCACHE_CONF", client_config(token).string()}});
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
