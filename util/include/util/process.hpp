// Child processes: one spawner (posix_spawn) with options for what callers need to differ on —
// the environment, the working directory, which descriptors the child gets, its process group and
// signal dispositions — plus waiting with a deadline and capturing output.
//
// Threads: no shared state; callable from any thread. posix_spawn clones the *calling thread*, so
// the child inherits that thread's mount namespace and (with CLONE_FS) its cwd.
// Failure: SpawnError when a process cannot be started or waited for; a child's non-zero exit is
// a result, never an exception.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "util/unique_fd.hpp"

namespace util {

class SpawnError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where the child's standard input comes from.
enum class ChildStdin { dev_null, inherit };

struct SpawnOptions {
  // argv[0] is also what runs: an absolute or relative path, or — with search_path — a bare name
  // looked up in PATH as execvp does. `executable`, when set, runs instead (argv[0] unchanged).
  std::vector<std::string> argv;
  std::filesystem::path executable;
  bool search_path = false;
  // "KEY=value" entries; nullopt: the caller's environment.
  std::optional<std::vector<std::string>> environment;
  // Empty: the caller's working directory.
  std::filesystem::path cwd;
  ChildStdin stdin_from = ChildStdin::dev_null;
  // Descriptors the child gets: {child_fd, parent_fd}, applied in order with dup2 (e.g. {1, out},
  // {2, err}, {3, control}). Descriptors not named keep the caller's (stdout and stderr included).
  std::vector<std::pair<int, int>> fds;
  // Close every other descriptor above the highest child_fd (and above 2): descriptors other
  // threads opened without O_CLOEXEC must not leak into an untrusted child.
  bool close_other_fds = false;
  // A new process group whose id is the child's pid, so kill_group() reaches its children too.
  bool new_process_group = false;
  // Every signal to its default disposition and an empty signal mask in the child.
  bool default_signals = false;
};

// A started child. Destroying a Child that was not reaped kills its group (when it has its own)
// and reaps it, so no zombie or runaway process outlives its owner.
class Child {
 public:
  explicit Child(pid_t pid, bool own_group) : m_pid(pid), m_own_group(own_group) {}
  Child(Child&& other) noexcept
      : m_pid(std::exchange(other.m_pid, -1)),
        m_own_group(other.m_own_group),
        m_status(other.m_status) {}
  Child& operator=(Child&&) = delete;
  Child(const Child&) = delete;
  ~Child();

  pid_t pid() const noexcept { return m_pid; }
  // Blocks until the child exits; its wait status (again, once it was reaped).
  int wait();
  // Waits up to `timeout`: the wait status, or nullopt while it still runs.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // SIGKILLs the child (and its process group, if it has its own), then reaps it; the status.
  int kill_and_reap();
  // wait_for(), then kill_and_reap() on timeout (returning nullopt).
  std::optional<int> wait_or_kill(std::chrono::milliseconds timeout);

 private:
  pid_t m_pid;  // -1 once reaped
  bool m_own_group;
  std::optional<int> m_status;  // once reaped
};

Child spawn(const SpawnOptions& options);

struct CapturedRun {
  int status = 0;  // wait status
  std::string out;
  std::string err;
};
// Runs to completion with stdout and stderr captured (in memory files, so a chatty child never
// blocks on a full pipe); `options.fds` must not name 1 or 2. With a timeout the child gets its
// own process group and the whole group is killed when time runs out: SpawnError.
CapturedRun run_captured(SpawnOptions options,
                         std::optional<std::chrono::milliseconds> timeout = std::nullopt);

// The shell's view of a wait status: the exit code, or 128 + the signal that killed it.
int shell_exit_code(int wait_status) noexcept;
// "exited with 3", "killed by signal 9", for messages.
std::string describe_wait_status(int wait_status);

// An anonymous in-memory file (close-on-exec), to capture a child's output.
UniqueFd make_memfd(const char* name);
// The whole content of a regular file or memfd, from offset 0.
std::string read_whole_fd(int fd);

// The environment of this process as "KEY=value" entries.
std::vector<std::string> current_environment();

}  // namespace util
