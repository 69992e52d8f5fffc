// Child processes: spawning with explicit descriptors, waiting with a deadline, descriptors.
//
// Threads: no shared state; callable from any thread. posix_spawn clones the *calling thread*, so
// the child inherits that thread's mount namespace (the job runner relies on it).
// Failure: SandboxError.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace sccache::sandbox_bwrap {

// Owns one file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : m_fd(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const noexcept { return m_fd; }
  bool valid() const noexcept { return m_fd >= 0; }
  int release() noexcept;

 private:
  int m_fd = -1;
};

// Starts argv[0] (an absolute path) with an empty environment, stdin from /dev/null, stdout and
// stderr duplicated from the given descriptors (and `fd3`, if >= 0, as descriptor 3), every other
// descriptor closed, default signal handling, in a new process group (whose id is the pid).
pid_t spawn_process(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd,
                    int fd3 = -1);

// Waits up to `timeout` for `pid` to exit: its wait status, or nullopt if it is still running.
std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout);
// SIGKILLs the process group of `pid`, then reaps `pid`; returns its wait status.
int kill_and_reap(pid_t pid);
// wait_for_exit(), then kill_and_reap() on timeout (returning nullopt).
std::optional<int> wait_or_kill(pid_t pid, std::chrono::milliseconds timeout);

// An anonymous in-memory file (close-on-exec), to capture a child's output.
UniqueFd make_memfd(const char* name);
// The whole content of a regular file or memfd, from offset 0.
std::string read_whole_fd(int fd);

struct CapturedRun {
  int status = 0;  // wait status
  std::string out;
  std::string err;
};
// Runs a short helper command to completion; throws SandboxError if it cannot start or times out.
CapturedRun capture_command(const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout);

// "exited with 3", "killed by signal 9", for messages.
std::string describe_wait_status(int status);

}  // namespace sccache::sandbox_bwrap
