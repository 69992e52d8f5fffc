#include "process.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sccache/sandbox.hpp"

namespace sccache::sandbox_bwrap {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

int UniqueFd::release() noexcept {
  int fd = m_fd;
  m_fd = -1;
  return fd;
}

namespace {

// posix_spawn attributes and file actions, destroyed on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// Reaps `pid`, retrying on EINTR; returns the wait status.
int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw SandboxError(fmt::format("waitpid failed: {}", std::strerror(errno)));
    }
  }
  return status;
}

}  // namespace

pid_t spawn_process(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd, int fd3) {
  SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, stdout_fd, 1);
  posix_spawn_file_actions_adddup2(&setup.actions, stderr_fd, 2);
  if (fd3 >= 0) {
    posix_spawn_file_actions_adddup2(&setup.actions, fd3, 3);
  }
  // Descriptors other threads opened without O_CLOEXEC must not reach the sandbox.
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, fd3 >= 0 ? 4 : 3);

  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &all);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  posix_spawnattr_setflags(&setup.attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  char* no_env[] = {nullptr};

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, args.at(0), &setup.actions, &setup.attr, args.data(), no_env);
  if (rc != 0) {
    throw SandboxError(fmt::format("cannot start {}: {}", argv.at(0), std::strerror(rc)));
  }
  return pid;
}

std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  while (true) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return status;
    }
    if (done < 0 && errno != EINTR) {
      throw SandboxError(fmt::format("waitpid failed: {}", std::strerror(errno)));
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    if (pidfd.valid()) {
      pollfd poll_fd{pidfd.get(), POLLIN, 0};
      ::poll(&poll_fd, 1, static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
    } else {  // no pidfd_open (kernel < 5.3): poll the child
      ::usleep(10'000);
    }
  }
}

int kill_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  return reap(pid);
}

std::optional<int> wait_or_kill(pid_t pid, std::chrono::milliseconds timeout) {
  if (auto status = wait_for_exit(pid, timeout)) {
    return status;
  }
  kill_and_reap(pid);
  return std::nullopt;
}

UniqueFd make_memfd(const char* name) {
  UniqueFd fd(::memfd_create(name, MFD_CLOEXEC));
  if (!fd.valid()) {
    throw SandboxError(fmt::format("memfd_create failed: {}", std::strerror(errno)));
  }
  return fd;
}

std::string read_whole_fd(int fd) {
  std::string data;
  char buffer[65536];
  off_t offset = 0;
  while (true) {
    ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw SandboxError(fmt::format("cannot read captured output: {}", std::strerror(errno)));
    }
    if (n == 0) {
      return data;
    }
    data.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
}

CapturedRun capture_command(const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout) {
  UniqueFd out = make_memfd("sccache-out");
  UniqueFd err = make_memfd("sccache-err");
  pid_t pid = spawn_process(argv, out.get(), err.get());
  auto status = wait_or_kill(pid, timeout);
  if (!status) {
    throw SandboxError(fmt::format("{} did not finish within {} ms", argv.at(0), timeout.count()));
  }
  return CapturedRun{*status, read_whole_fd(out.get()), read_whole_fd(err.get())};
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) {
    return fmt::format("exited with {}", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return fmt::format("killed by signal {}", WTERMSIG(status));
  }
  return fmt::format("ended with wait status {}", status);
}

}  // namespace sccache::sandbox_bwrap
