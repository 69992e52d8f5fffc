#include "util/process.hpp"

#include <algorithm>
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

extern char** environ;

namespace util {
namespace {

std::string errno_text(int error) {
  return std::strerror(error);
}

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

std::vector<char*> pointers(const std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (const auto& s : strings) {
    result.push_back(const_cast<char*>(s.c_str()));
  }
  result.push_back(nullptr);
  return result;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw SpawnError("waitpid failed: " + errno_text(errno));
    }
  }
  return status;
}

}  // namespace

Child::~Child() {
  if (m_pid > 0) {
    try {
      kill_and_reap();
    } catch (const SpawnError&) {  // already reaped elsewhere; nothing left to do
    }
  }
}

int Child::wait() {
  if (m_pid <= 0) {
    return m_status.value_or(0);
  }
  m_status = reap(m_pid);
  m_pid = -1;
  return *m_status;
}

std::optional<int> Child::wait_for(std::chrono::milliseconds timeout) {
  if (m_pid <= 0) {
    return m_status.value_or(0);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, m_pid, 0)));
  while (true) {
    int status = 0;
    pid_t done = ::waitpid(m_pid, &status, WNOHANG);
    if (done == m_pid) {
      m_pid = -1;
      m_status = status;
      return status;
    }
    if (done < 0 && errno != EINTR) {
      throw SpawnError("waitpid failed: " + errno_text(errno));
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
      ::usleep(static_cast<useconds_t>(std::min<int64_t>(left.count(), 10) * 1000));
    }
  }
}

int Child::kill_and_reap() {
  if (m_pid <= 0) {
    return m_status.value_or(0);
  }
  if (m_own_group) {
    ::kill(-m_pid, SIGKILL);
  }
  ::kill(m_pid, SIGKILL);
  return wait();
}

std::optional<int> Child::wait_or_kill(std::chrono::milliseconds timeout) {
  if (auto status = wait_for(timeout)) {
    return status;
  }
  kill_and_reap();
  return std::nullopt;
}

Child spawn(const SpawnOptions& options) {
  if (options.argv.empty()) {
    throw SpawnError("cannot start a process without argv[0]");
  }
  SpawnSetup setup;
  if (options.stdin_from == ChildStdin::dev_null) {
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  }
  int highest = 2;
  for (const auto& [child_fd, parent_fd] : options.fds) {
    posix_spawn_file_actions_adddup2(&setup.actions, parent_fd, child_fd);
    highest = std::max(highest, child_fd);
  }
  if (options.close_other_fds) {
    posix_spawn_file_actions_addclosefrom_np(&setup.actions, highest + 1);
  }
  if (!options.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, options.cwd.c_str());
  }
  short flags = 0;
  sigset_t none;
  sigset_t all;
  if (options.default_signals) {
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&setup.attr, &none);
    posix_spawnattr_setsigdefault(&setup.attr, &all);
    flags |= POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  }
  if (options.new_process_group) {
    posix_spawnattr_setpgroup(&setup.attr, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  posix_spawnattr_setflags(&setup.attr, flags);

  std::vector<char*> argv = pointers(options.argv);
  std::vector<char*> envp;
  if (options.environment) {
    envp = pointers(*options.environment);
  }
  char** env = options.environment ? envp.data() : environ;
  const char* program =
      options.executable.empty() ? options.argv[0].c_str() : options.executable.c_str();
  pid_t pid = -1;
  int rc = options.search_path
               ? ::posix_spawnp(&pid, program, &setup.actions, &setup.attr, argv.data(), env)
               : ::posix_spawn(&pid, program, &setup.actions, &setup.attr, argv.data(), env);
  if (rc != 0) {
    throw SpawnError(std::string("cannot run ") + program + ": " + errno_text(rc));
  }
  return Child(pid, options.new_process_group);
}

CapturedRun run_captured(SpawnOptions options, std::optional<std::chrono::milliseconds> timeout) {
  UniqueFd out = make_memfd("captured-stdout");
  UniqueFd err = make_memfd("captured-stderr");
  options.fds.insert(options.fds.begin(), {{1, out.get()}, {2, err.get()}});
  if (timeout) {
    options.new_process_group = true;
  }
  Child child = spawn(options);
  CapturedRun run;
  if (timeout) {
    auto status = child.wait_or_kill(*timeout);
    if (!status) {
      throw SpawnError(options.argv[0] + " did not finish within " +
                       std::to_string(timeout->count()) + " ms");
    }
    run.status = *status;
  } else {
    run.status = child.wait();
  }
  run.out = read_whole_fd(out.get());
  run.err = read_whole_fd(err.get());
  return run;
}

int shell_exit_code(int wait_status) noexcept {
  if (WIFEXITED(wait_status)) {
    return WEXITSTATUS(wait_status);
  }
  if (WIFSIGNALED(wait_status)) {
    return 128 + WTERMSIG(wait_status);
  }
  return -1;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) {
    return "exited with " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return "ended with wait status " + std::to_string(status);
}

UniqueFd make_memfd(const char* name) {
  UniqueFd fd(::memfd_create(name, MFD_CLOEXEC));
  if (!fd.valid()) {
    throw SpawnError(std::string("memfd_create failed: ") + errno_text(errno));
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
      throw SpawnError("cannot read captured output: " + errno_text(errno));
    }
    if (n == 0) {
      return data;
    }
    data.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
}

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    env.emplace_back(*e);
  }
  return env;
}

}  // namespace util
