#include "client/server/local_server.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "util/fs.hpp"

#include "client/commands.hpp"
#include "common/server_protocol.hpp"
#include "common/server_socket.hpp"

namespace sccache {
namespace fs = std::filesystem;
namespace protocol = server_protocol;

namespace {

using Clock = std::chrono::steady_clock;

// How long a wrapper may take to say what it wants.
constexpr std::chrono::seconds k_request_timeout{10};
// How long stopping waits for the compiles in flight.
constexpr std::chrono::seconds k_drain_timeout{30};

int bind_socket(const std::string& path) {
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path) {
    throw std::runtime_error("the socket path is too long: " + path);
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  }
  // A socket file left by a server that died; whoever starts servers holds the start lock.
  ::unlink(path.c_str());
  const mode_t old = ::umask(077);
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::umask(old);
  if (rc != 0 || ::listen(fd, 128) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::runtime_error("cannot listen on " + path + ": " + std::strerror(error));
  }
  return fd;
}

}  // namespace

struct LocalServer::Connection {
  explicit Connection(int fd_) : fd(fd_) {}
  ~Connection() { ::close(fd); }
  const int fd;
  std::mutex write_mutex;
  std::atomic<bool> compiling{false};  // progress frames go to it while true

  bool send(std::string_view frame) {
    std::lock_guard lock(write_mutex);
    return server_socket::write_all(fd, frame);
  }
};

LocalServer::LocalServer(LocalServerOptions options)
    : m_options(std::move(options)),
      m_contexts(m_options.not_compilers),
      m_last_activity(Clock::now()) {
  m_listen_fd = bind_socket(m_options.socket_path);
  struct stat st {};
  if (::lstat(m_options.socket_path.c_str(), &st) == 0) {
    m_socket_inode = st.st_ino;
  }
  // Which process serves the socket, for operators (and tests): <socket>.pid.
  try {
    util::write_file_atomically(m_options.socket_path + ".pid", std::to_string(::getpid()) + "\n",
                                0600);
  } catch (const std::exception& e) {
    spdlog::warn("cannot write {}.pid: {}", m_options.socket_path, e.what());
  }
}

LocalServer::~LocalServer() {
  if (m_listen_fd >= 0) {
    ::close(m_listen_fd);
  }
}

void LocalServer::stop() {
  if (!m_stopping.exchange(true)) {
    // No new wrapper may reach a stopping server: the socket goes at once (unless another
    // server replaced it), so the next wrapper starts a fresh one.
    std::lock_guard lock(m_socket_mutex);
    if (socket_is_ours()) {
      ::unlink(m_options.socket_path.c_str());
      ::unlink((m_options.socket_path + ".pid").c_str());
    }
  }
  m_changed.notify_all();
}

bool LocalServer::socket_is_ours() const {
  struct stat st {};
  return ::lstat(m_options.socket_path.c_str(), &st) == 0 && st.st_ino == m_socket_inode;
}

void LocalServer::serve() {
  spdlog::info("sccache server {} listening on {}", m_options.build, m_options.socket_path);
  std::thread keeper([this] { housekeeping(); });
  while (!m_stopping) {
    pollfd p{m_listen_fd, POLLIN, 0};
    if (::poll(&p, 1, 500) <= 0) {
      continue;
    }
    int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    if (!server_socket::peer_is_this_user(fd)) {
      spdlog::warn("refused a connection from a process of another user");
      ::close(fd);
      continue;
    }
    auto connection = std::make_shared<Connection>(fd);
    {
      std::lock_guard lock(m_mutex);
      m_connections.insert(connection);
      m_last_activity = Clock::now();
    }
    std::thread([this, connection] { handle(connection); }).detach();
  }
  // Stop taking work: the socket goes (unless another server replaced it), then the compiles in
  // flight finish, then the statistics are written.
  ::close(m_listen_fd);
  m_listen_fd = -1;
  {
    std::unique_lock lock(m_mutex);
    m_changed.wait_for(lock, k_drain_timeout, [this] { return m_connections.empty(); });
    m_drained = true;
  }
  m_changed.notify_all();
  keeper.join();
  m_contexts.flush_stats();
  spdlog::info("sccache server stopped");
}

void LocalServer::housekeeping() {
  auto next_flush = Clock::now() + m_options.stats_flush_interval;
  std::unique_lock lock(m_mutex);
  while (true) {
    m_changed.wait_for(lock, std::chrono::seconds(1));
    if (m_drained) {
      return;
    }
    const auto now = Clock::now();
    std::vector<std::shared_ptr<Connection>> busy;
    for (const auto& connection : m_connections) {
      if (connection->compiling) {
        busy.push_back(connection);
      }
    }
    const bool idle = m_connections.empty() && m_options.idle_timeout.count() > 0 &&
                      now - m_last_activity > m_options.idle_timeout;
    lock.unlock();
    // The wrapper waits for a sign of life; one every second tells it the server is alive.
    const std::string progress = protocol::encode_progress();
    for (const auto& connection : busy) {
      connection->send(progress);
    }
    if (now >= next_flush) {
      m_contexts.flush_stats();
      next_flush = now + m_options.stats_flush_interval;
    }
    if (idle) {
      spdlog::info("no request for {} s: stopping (SCCACHE_IDLE_TIMEOUT)",
                   m_options.idle_timeout.count());
      stop();
    } else if (!m_stopping && !socket_is_ours()) {
      spdlog::warn("{} is no longer this server's socket: stopping", m_options.socket_path);
      stop();
    }
    lock.lock();
  }
}

void LocalServer::handle(std::shared_ptr<Connection> connection) {
  try {
    std::string buffer;
    std::string body;
    if (server_socket::read_frame(connection->fd, buffer, body, k_request_timeout) !=
        server_socket::ReadResult::frame) {
      throw protocol::ProtocolError("no greeting");
    }
    protocol::Reader hello_reader(body);
    if (hello_reader.kind() != protocol::Kind::hello) {
      throw protocol::ProtocolError("no greeting");
    }
    const protocol::Hello hello = protocol::decode_hello(hello_reader);
    if (hello.protocol != protocol::k_version || hello.build != m_options.build) {
      // A wrapper of another install or version: make way for the server it expects.
      spdlog::info("a wrapper expects server build \"{}\" (protocol {}); stopping to make way",
                   hello.build, hello.protocol);
      // stop() unlinks the socket first: a wrapper reconnecting the moment it reads the reply
      // must find no socket (and start its own server), not this one again.
      stop();
      connection->send(protocol::encode_version_mismatch(m_options.build));
    } else if (server_socket::read_frame(connection->fd, buffer, body, k_request_timeout) !=
               server_socket::ReadResult::frame) {
      throw protocol::ProtocolError("no request");
    } else {
      protocol::Reader reader(body);
      if (reader.kind() == protocol::Kind::compile) {
        compile(*connection, body);
      } else if (reader.kind() == protocol::Kind::command) {
        command(*connection, body);
      } else {
        throw protocol::ProtocolError("an unknown request");
      }
    }
  } catch (const std::exception& e) {
    spdlog::warn("a connection ended early: {}", e.what());
  }
  std::lock_guard lock(m_mutex);
  m_connections.erase(connection);
  m_last_activity = Clock::now();
  m_changed.notify_all();
}

void LocalServer::compile(Connection& connection, std::string_view body) {
  protocol::Reader reader(body);
  protocol::Compile message = protocol::decode_compile(reader);
  CompileRequest request;
  request.argv = std::move(message.argv);
  request.cwd = message.cwd;
  request.environment = std::move(message.environment);
  request.stderr_is_tty = message.stderr_is_tty;
  const Environment env(request.environment);

  connection.compiling = true;
  std::shared_ptr<ClientContext> context;
  CompileReply reply;
  try {
    context = m_contexts.get(env);
    reply = run_compile(request, *context);
  } catch (const ConfigError& e) {
    ClientContext unconfigured(ClientConfig{}, m_options.not_compilers);
    reply = run_compile(request, unconfigured);
    reply.warning =
        std::string("sccache: warning: invalid configuration, compiling locally: ") + e.what();
    context.reset();  // no statistics without a config: they live in its cache_dir
  }
  connection.compiling = false;

  if (reply.kind == CompileReply::Kind::compiled) {
    // As the compiler would have created them, under the wrapper's umask.
    for (const auto& output : reply.outputs) {
      ::chmod(output.c_str(), 0666 & ~message.umask);
    }
    connection.send(protocol::encode_compiled(protocol::Compiled{
        reply.exit_code, std::move(reply.stdout_data), std::move(reply.stderr_data)}));
    return;
  }
  if (context) {
    count_local_compile(context->stats(), reply);
  }
  const auto start = Clock::now();
  connection.send(
      protocol::encode(protocol::RunLocally{reply.executable.string(), reply.argv, reply.warning}));
  // The wrapper execs the compiler with this connection open: its end is the compile's end.
  char sink[256];
  while (::read(connection.fd, sink, sizeof sink) > 0) {
  }
  if (context) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    count_local_time(context->stats(), static_cast<uint64_t>(ms.count()));
  }
}

void LocalServer::command(Connection& connection, std::string_view body) {
  protocol::Reader reader(body);
  protocol::Command message = protocol::decode_command(reader);
  CommandResult result;
  try {
    std::shared_ptr<ClientContext> context = m_contexts.get(Environment(message.environment));
    if (message.name == "--stop-server") {
      m_contexts.flush_stats();
    }
    result = run_command(message.name, message.args, *context);
  } catch (const ConfigError& e) {
    result = {1, "", std::string("sccache: invalid configuration: ") + e.what() + "\n"};
  }
  connection.send(protocol::encode_command_output({result.exit_code, result.out, result.err}));
  if (message.name == "--stop-server") {
    spdlog::info("stopping on --stop-server");
    stop();
  }
}

}  // namespace sccache
