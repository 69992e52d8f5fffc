#include "run_command.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "toolchain.hpp"
#include "unique_fd.hpp"

extern char** environ;

namespace sccache::toolchain {
namespace {

UniqueFd make_memfd(const char* name) {
  UniqueFd fd(::memfd_create(name, MFD_CLOEXEC));
  if (!fd.valid()) {
    throw ToolchainError(fmt::format("memfd_create: {}", std::strerror(errno)));
  }
  return fd;
}

std::string read_all_from_start(int fd) {
  std::string text;
  char buffer[8192];
  off_t offset = 0;
  while (true) {
    ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return text;
    }
    text.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
}

// The caller's environment with LC_ALL=C, as strings the child's envp points into.
std::vector<std::string> child_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.starts_with("LC_ALL=") || entry.starts_with("LANGUAGE=")) {
      continue;
    }
    env.emplace_back(entry);
  }
  env.emplace_back("LC_ALL=C");
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (auto& s : strings) {
    result.push_back(s.data());
  }
  result.push_back(nullptr);
  return result;
}

// Waits for `pid` up to `timeout`; false if it is still running then.
bool wait_with_timeout(pid_t pid, std::chrono::milliseconds timeout, int& status) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.valid()) {
    pollfd p{pidfd.get(), POLLIN, 0};
    int rc;
    do {
      rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
      return false;
    }
  }
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw ToolchainError(fmt::format("waitpid: {}", std::strerror(errno)));
    }
  }
  return true;
}

}  // namespace

CommandOutput run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  if (argv.empty()) {
    throw ToolchainError("run_command: empty command");
  }
  UniqueFd out = make_memfd("sccache-out");
  UniqueFd err = make_memfd("sccache-err");
  std::vector<std::string> args = argv;
  std::vector<std::string> env = child_environment();
  std::vector<char*> arg_ptrs = pointers(args);
  std::vector<char*> env_ptrs = pointers(env);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.get(), 2);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigset_t no_mask;
  sigemptyset(&no_mask);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &no_mask);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, arg_ptrs[0], &actions, &attr, arg_ptrs.data(), env_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    throw ToolchainError(fmt::format("cannot run {}: {}", argv[0], std::strerror(rc)));
  }

  int status = 0;
  if (!wait_with_timeout(pid, timeout, status)) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    throw ToolchainError(fmt::format("{} did not finish within {} ms", argv[0], timeout.count()));
  }
  CommandOutput result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_all_from_start(out.get());
  result.err = read_all_from_start(err.get());
  return result;
}

}  // namespace sccache::toolchain
