#include "wrapper/wrapper.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "common/server_protocol.hpp"
#include "common/server_socket.hpp"

extern char** environ;

#ifndef SCCACHE_VERSION
#define SCCACHE_VERSION "0.0.0-dev"
#endif

namespace sccache::wrapper {
namespace {

namespace protocol = server_protocol;
namespace sock = server_socket;

constexpr std::chrono::seconds k_default_server_timeout{10};

void print(int fd, std::string_view text) {
  sock::write_all(fd, text);
}

void warn(const std::string& text) {
  print(2, "sccache: warning: " + text + "\n");
}

std::vector<std::string> environment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    env.emplace_back(*e);
  }
  return env;
}

std::string self_path() {
  char buffer[4096];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The full client beside this install: <prefix>/bin/sccache -> <prefix>/libexec/sccache/.
std::string server_binary() {
  return dir_of(self_path()) + "/../libexec/sccache/sccache-server";
}

// The server build this wrapper expects: its own version and the server binary beside it.
std::string expected_build() {
  return sock::build_identity(server_binary(), SCCACHE_VERSION);
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// What `name` runs as through PATH, skipping this program (a symlink gcc -> sccache).
std::string find_compiler(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return name;
  }
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  const std::string self = self_path();
  while (true) {
    const size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st {};
    if (::access(candidate.c_str(), X_OK) == 0 && ::stat(candidate.c_str(), &st) == 0 &&
        !S_ISDIR(st.st_mode) && !same_file(candidate, self)) {
      return candidate;
    }
    if (colon == std::string_view::npos) {
      return {};
    }
    rest = rest.substr(colon + 1);
  }
}

std::vector<char*> c_argv(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (auto& arg : args) {
    out.push_back(arg.data());
  }
  out.push_back(nullptr);
  return out;
}

// Replaces this process with `executable`; `keep_fd` (the server connection, or -1) stays open
// across the exec so the server sees the local compile end when the connection closes.
[[noreturn]] void exec_program(std::string executable, std::vector<std::string> args, int keep_fd) {
  if (keep_fd >= 0) {
    ::fcntl(keep_fd, F_SETFD, 0);
  }
  std::vector<char*> argv = c_argv(args);
  ::execv(executable.c_str(), argv.data());
  print(2, "sccache: cannot run " + executable + ": " + std::strerror(errno) + "\n");
  std::_Exit(errno == ENOENT ? 127 : 126);
}

// Compiles here, as if sccache were not there.
[[noreturn]] void compile_locally(std::vector<std::string> argv, int keep_fd = -1) {
  const std::string compiler = find_compiler(argv[0]);
  if (compiler.empty()) {
    print(2, "sccache: cannot find compiler '" + argv[0] + "' in PATH\n");
    std::_Exit(127);
  }
  argv[0] = compiler;
  exec_program(compiler, std::move(argv), keep_fd);
}

// Runs `sccache-server --start-server` (which starts the server unless one answers, serialised
// by a lock, so `make -j` starting many wrappers at once ends with exactly one server) and waits
// for it. "" when a server should now answer, else why not.
std::string start_server() {
  std::vector<std::string> args = {server_binary(), "--start-server", "--quiet"};
  std::vector<char*> argv = c_argv(args);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return "cannot run " + args[0] + ": " + std::strerror(rc);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return "it could not start (see the line above)";
  }
  return "";
}

std::chrono::milliseconds server_timeout() {
  const char* value = std::getenv("SCCACHE_SERVER_TIMEOUT");
  if (value != nullptr && *value != '\0') {
    char* end = nullptr;
    long seconds = std::strtol(value, &end, 10);
    if (end != nullptr && *end == '\0' && seconds > 0) {
      return std::chrono::seconds(seconds);
    }
  }
  return k_default_server_timeout;
}

enum class Attempt { done, retry };

// One conversation with the server about this compile. Exits the process on every ending but a
// version mismatch (then the old server is gone, and the caller starts a new one).
Attempt converse(int fd, const std::vector<std::string>& argv, bool last_attempt) {
  protocol::Compile compile;
  compile.stderr_is_tty = ::isatty(2) == 1;
  const mode_t mask = ::umask(0);
  ::umask(mask);
  compile.umask = mask;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) {
    ::close(fd);
    compile_locally(argv);
  }
  compile.cwd = cwd;
  compile.argv = argv;
  compile.environment = environment();
  if (!sock::write_all(fd,
                       protocol::encode(protocol::Hello{protocol::k_version, expected_build()}) +
                           protocol::encode(compile))) {
    warn("cannot talk to the sccache server; compiling locally");
    ::close(fd);
    compile_locally(argv);
  }
  std::string buffer;
  std::string body;
  const auto timeout = server_timeout();
  while (true) {
    switch (sock::read_frame(fd, buffer, body, timeout)) {
      case sock::ReadResult::frame:
        break;
      case sock::ReadResult::timeout:
        warn("the sccache server did not answer for " + std::to_string(timeout.count() / 1000) +
             " s; compiling locally");
        ::close(fd);
        compile_locally(argv);
      case sock::ReadResult::closed:
      case sock::ReadResult::error:
        warn("the sccache server went away during the compile; compiling locally");
        ::close(fd);
        compile_locally(argv);
    }
    try {
      protocol::Reader reader(body);
      switch (reader.kind()) {
        case protocol::Kind::progress:
          continue;
        case protocol::Kind::compiled: {
          protocol::Compiled done = protocol::decode_compiled(reader);
          print(2, done.stderr_data);
          print(1, done.stdout_data);
          std::_Exit(done.exit_code);
        }
        case protocol::Kind::run_locally: {
          protocol::RunLocally local = protocol::decode_run_locally(reader);
          if (!local.warning.empty()) {
            print(2, local.warning + "\n");
          }
          exec_program(local.executable, std::move(local.argv), fd);
        }
        case protocol::Kind::version_mismatch:
          ::close(fd);
          if (last_attempt) {
            warn("the sccache server is another version and was not replaced; compiling locally");
            compile_locally(argv);
          }
          return Attempt::retry;
        default:
          throw protocol::ProtocolError("an unexpected message");
      }
    } catch (const protocol::ProtocolError& e) {
      warn(std::string("the sccache server sent ") + e.what() + "; compiling locally");
      ::close(fd);
      compile_locally(argv);
    }
  }
}

[[noreturn]] void compile(std::vector<std::string> argv) {
  const std::string path = sock::socket_path(environment());
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string error;
    int fd = sock::connect_to_server(path, &error);
    if (fd < 0) {
      if (std::string dir_problem = sock::prepare_socket_dir(path); !dir_problem.empty()) {
        warn("the sccache server cannot run (" + dir_problem + "); compiling locally");
        compile_locally(std::move(argv));
      }
      if (std::string start_problem = start_server(); !start_problem.empty()) {
        warn("the sccache server is not running and " + start_problem + "; compiling locally");
        compile_locally(std::move(argv));
      }
      fd = sock::connect_to_server(path, &error);
      if (fd < 0) {
        warn("cannot reach the sccache server (" + error + "); compiling locally");
        compile_locally(std::move(argv));
      }
    }
    if (converse(fd, argv, attempt == 1) == Attempt::done) {
      break;
    }
  }
  compile_locally(std::move(argv));
}

bool no_daemon() {
  const char* value = std::getenv("SCCACHE_NO_DAEMON");
  return value != nullptr && *value != '\0' && std::string_view(value) != "0";
}

}  // namespace

int wrapper_main(int argc, char** argv) {
  const std::string invoked_as = base_of(argv[0]);
  std::vector<std::string> args(argv + 1, argv + argc);
  // Masquerade: invoked through a symlink named like the compiler (gcc -> sccache).
  if (invoked_as != "sccache" && !invoked_as.starts_with("sccache-")) {
    args.insert(args.begin(), invoked_as);
    if (no_daemon()) {
      args.insert(args.begin(), server_binary());
      exec_program(server_binary(), std::move(args), -1);
    }
    compile(std::move(args));
  }
  if (!args.empty() && (args[0] == "--version" || args[0] == "-V")) {
    print(1, std::string("sccache ") + SCCACHE_VERSION + "\n");
    return 0;
  }
  if (args.empty() || args[0].starts_with("-") || no_daemon()) {
    args.insert(args.begin(), server_binary());
    exec_program(server_binary(), std::move(args), -1);
  }
  compile(std::move(args));
}

}  // namespace sccache::wrapper
