#include "support/redis_server.hpp"

#include <chrono>
#include <fcntl.h>
#include <signal.h>
#include <stdexcept>
#include <thread>
#include <unistd.h>

#include <Poco/Exception.h>
#include <Poco/Redis/Command.h>

#include "util/unique_fd.hpp"

namespace sccache::test {
namespace {

constexpr const char* k_redis_server = "/usr/bin/redis-server";
const Poco::Timespan k_client_timeout(2, 0);

}  // namespace

RedisServer::RedisServer(std::string password) : m_password(std::move(password)) {
  if (::access(k_redis_server, X_OK) != 0) {
    skip_whole_binary(
        "redis-server is not installed at /usr/bin/redis-server; the Redis cache tests run a "
        "real one (apt-get install redis-server, or scripts/install-deps.sh)");
  }
  m_port = free_port();
  start();
}

RedisServer::~RedisServer() {
  stop();
}

void RedisServer::start() {
  if (m_process) {
    throw std::logic_error("redis-server is already running");
  }
  const std::string log_path = (m_dir / "redis.log").string();
  util::UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!log.valid()) {
    throw std::runtime_error("cannot open " + log_path);
  }
  util::SpawnOptions options;
  options.argv = {k_redis_server,
                  "--port",
                  std::to_string(m_port),
                  "--bind",
                  "127.0.0.1",
                  "--dir",
                  m_dir.path().string(),
                  "--save",
                  "",
                  "--appendonly",
                  "no",
                  "--daemonize",
                  "no",
                  "--logfile",
                  ""};
  if (!m_password.empty()) {
    options.argv.insert(options.argv.end(), {"--requirepass", m_password});
  }
  options.fds = {{1, log.get()}, {2, log.get()}};
  options.close_other_fds = true;
  options.new_process_group = true;
  options.default_signals = true;
  m_process.emplace(util::spawn(options));
  m_paused = false;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!answers_ping()) {
    if (const std::optional<int> status = m_process->wait_for(std::chrono::milliseconds(0))) {
      m_process.reset();
      throw std::runtime_error("redis-server " + util::describe_wait_status(*status) + ":\n" +
                               read_file(log_path));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      m_process.reset();
      throw std::runtime_error("redis-server did not answer PING within 10 s:\n" +
                               read_file(log_path));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void RedisServer::stop() {
  if (m_process) {
    m_process->kill_and_reap();
    m_process.reset();
  }
  m_paused = false;
}

void RedisServer::pause() {
  if (m_process && !m_paused) {
    ::kill(m_process->pid(), SIGSTOP);
    m_paused = true;
  }
}

void RedisServer::resume() {
  if (m_process && m_paused) {
    ::kill(m_process->pid(), SIGCONT);
    m_paused = false;
  }
}

std::unique_ptr<Poco::Redis::Client> RedisServer::client(int64_t db) const {
  auto client = std::make_unique<Poco::Redis::Client>();
  client->connect("127.0.0.1", m_port, k_client_timeout);
  client->setReceiveTimeout(k_client_timeout);
  if (!m_password.empty()) {
    Poco::Redis::Command auth("AUTH");
    auth << m_password;
    client->execute<std::string>(auth);
  }
  if (db != 0) {
    Poco::Redis::Command select("SELECT");
    select << std::to_string(db);
    client->execute<std::string>(select);
  }
  return client;
}

void RedisServer::flushall() {
  client()->execute<std::string>(Poco::Redis::Command("FLUSHALL"));
}

int64_t RedisServer::dbsize(int64_t db) {
  return client(db)->execute<Poco::Int64>(Poco::Redis::Command("DBSIZE"));
}

bool RedisServer::answers_ping() const {
  try {
    return client()->execute<std::string>(Poco::Redis::Command::ping()) == "PONG";
  } catch (const Poco::Exception&) {
    return false;
  }
}

}  // namespace sccache::test
