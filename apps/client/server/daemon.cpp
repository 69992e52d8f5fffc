#include "client/server/daemon.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <poll.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "util/file_lock.hpp"

#include "client/program_path.hpp"
#include "client/server/local_server.hpp"
#include "common/daemon_main.hpp"
#include "common/environment.hpp"
#include "common/http_replies.hpp"
#include "common/logging.hpp"
#include "common/server_protocol.hpp"
#include "common/server_socket.hpp"

namespace sccache {
namespace fs = std::filesystem;
namespace protocol = server_protocol;

namespace {

constexpr std::chrono::seconds k_startup_timeout{10};

std::chrono::seconds idle_timeout(const Environment& env) {
  if (auto value = env.get_nonempty("SCCACHE_IDLE_TIMEOUT")) {
    char* end = nullptr;
    const std::string text(*value);
    long seconds = std::strtol(text.c_str(), &end, 10);
    if (end != nullptr && *end == '\0' && seconds >= 0) {
      return std::chrono::seconds(seconds);
    }
    std::cerr << "sccache: ignoring SCCACHE_IDLE_TIMEOUT=" << text
              << " (expected seconds; 0 = never)\n";
  }
  return std::chrono::seconds(600);
}

// The server's own stdio: nothing from the terminal that started it, logs to SCCACHE_ERROR_LOG.
void detach_stdio(const Environment& env) {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  ::dup2(null, 0);
  ::dup2(null, 1);
  int err = null;
  if (auto log = env.get_nonempty("SCCACHE_ERROR_LOG")) {
    const std::string path(*log);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    err = fd >= 0 ? fd : null;
  }
  ::dup2(err, 2);
}

// The child after fork: becomes the server, says "ok" (or why not) on `ready`, serves, exits.
[[noreturn]] void run_server(int ready, const std::string& socket, const Environment& env) {
  ::setsid();
  detach_stdio(env);
  if (::chdir("/") != 0) {
    // Nothing depends on the cwd; staying in the caller's directory only pins it.
  }
  ::umask(0);  // outputs get the mode each wrapper's umask gives (LocalServer::compile)
  block_shutdown_signals();
  init_logging("sccache-server", spdlog::level::info);
  try {
    LocalServerOptions options;
    options.socket_path = socket;
    options.idle_timeout = idle_timeout(env);
    options.build = this_server_build();
    options.not_compilers = sccache_programs();
    LocalServer server(std::move(options));
    std::thread signals([&server] {
      const int sig = wait_for_shutdown_signal();
      spdlog::info("stopping on signal {}", sig);
      server.stop();
    });
    signals.detach();
    server_socket::write_all(ready, "ok\n");
    ::close(ready);
    server.serve();
  } catch (const std::exception& e) {
    server_socket::write_all(ready, std::string("error: ") + e.what() + "\n");
    std::_Exit(1);
  }
  std::_Exit(0);
}

}  // namespace

std::string this_server_build() {
  return server_socket::build_identity(self_executable().string(), software_version());
}

int start_server(bool quiet) {
  const Environment env = Environment::of_this_process();
  const std::string socket = server_socket::socket_path(env.entries());
  if (std::string problem = server_socket::prepare_socket_dir(socket); !problem.empty()) {
    std::cerr << "sccache: cannot start the server: " << problem << "\n";
    return 1;
  }
  const fs::path lock_path = fs::path(socket).parent_path() / "server-start.lock";
  std::optional<util::FileLock> lock;
  try {
    lock.emplace(lock_path);
  } catch (const std::exception& e) {
    std::cerr << "sccache: cannot start the server: " << e.what() << "\n";
    return 1;
  }
  std::string error;
  if (int fd = server_socket::connect_to_server(socket, &error); fd >= 0) {
    ::close(fd);
    if (!quiet) {
      std::cout << "sccache: the server is already running (" << socket << ")\n";
    }
    return 0;
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    std::cerr << "sccache: cannot start the server: " << std::strerror(errno) << "\n";
    return 1;
  }
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::cerr << "sccache: cannot start the server: " << std::strerror(errno) << "\n";
    return 1;
  }
  if (pid == 0) {
    ::close(pipe_fds[0]);
    lock.reset();  // this copy of the start lock's descriptor; the parent's releases it
    run_server(pipe_fds[1], socket, env);
  }
  ::close(pipe_fds[1]);
  std::string answer;
  // Not a frame: read the one line the child writes (or its death).
  auto deadline = std::chrono::steady_clock::now() + k_startup_timeout;
  char chunk[512];
  while (answer.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{pipe_fds[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      continue;
    }
    ssize_t n = ::read(pipe_fds[0], chunk, sizeof chunk);
    if (n <= 0) {
      break;
    }
    answer.append(chunk, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  if (answer.rfind("ok\n", 0) == 0) {
    if (!quiet) {
      std::cout << "sccache: started the server (" << socket << ")\n";
    }
    return 0;
  }
  std::cerr << "sccache: the server did not start: "
            << (answer.empty() ? std::string("no answer within 10 s") : answer);
  if (!answer.empty() && answer.back() != '\n') {
    std::cerr << "\n";
  }
  return 1;
}

std::optional<CommandResult> ask_server(const std::string& name,
                                        const std::vector<std::string>& args) {
  const Environment env = Environment::of_this_process();
  std::string error;
  const int fd =
      server_socket::connect_to_server(server_socket::socket_path(env.entries()), &error);
  if (fd < 0) {
    return std::nullopt;
  }
  std::optional<CommandResult> result;
  const std::string request =
      protocol::encode(protocol::Hello{protocol::k_version, this_server_build()}) +
      protocol::encode(protocol::Command{name, args, env.entries()});
  std::string buffer;
  std::string body;
  if (server_socket::write_all(fd, request) &&
      server_socket::read_frame(fd, buffer, body, std::chrono::seconds(30)) ==
          server_socket::ReadResult::frame) {
    try {
      protocol::Reader reader(body);
      if (reader.kind() == protocol::Kind::command_output) {
        protocol::CommandOutput output = protocol::decode_command_output(reader);
        result = CommandResult{output.exit_code, output.stdout_data, output.stderr_data};
      }
    } catch (const protocol::ProtocolError&) {
    }
  }
  ::close(fd);
  return result;
}

}  // namespace sccache
