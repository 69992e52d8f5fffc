// Helpers shared by the test suites: temporary directories, free ports, waiting on conditions,
// and running the real binaries as child processes.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sccache::test {

inline constexpr int k_skip_exit_code = 125;

// Prints a loud SKIPPED banner with the reason and exits the test binary with code 125.
[[noreturn]] void skip_whole_binary(const std::string& reason);

// A fresh directory under the system temp dir, removed on destruction (kept if
// SCCACHE_TEST_KEEP is set, for debugging).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "sccache-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

 private:
  std::filesystem::path m_path;
};

void write_file(const std::filesystem::path& path, const std::string& contents);
std::string read_file(const std::filesystem::path& path);

// Sets an environment variable (or, for nullopt, unsets it) for one scope and restores the old
// value after; child processes started meanwhile inherit it. Not thread-safe, as setenv is not.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* m_name;
  std::optional<std::string> m_old;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t free_port();

// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// Paths handed in by ctest.
std::filesystem::path bin_dir();     // the built executables
std::filesystem::path source_dir();  // the project's source tree
std::filesystem::path build_dir();

// A child process with stdout and stderr captured to files. Killed (SIGKILL) on destruction if
// still running.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::map<std::string, std::string> extra_env = {},
               std::filesystem::path cwd = {}, std::filesystem::path log_dir = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const { return m_pid; }
  bool running();
  void signal(int sig);
  // Waits for exit; returns the exit code (128 + signal if killed), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::string stdout_text() const;
  std::string stderr_text() const;
  const std::filesystem::path& stderr_path() const { return m_stderr; }

 private:
  int m_pid = -1;
  int m_status = -1;
  bool m_exited = false;
  std::filesystem::path m_stdout, m_stderr;
  std::filesystem::path m_own_dir;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion (at most `timeout`).
RunResult run(std::vector<std::string> argv, std::map<std::string, std::string> extra_env = {},
              std::filesystem::path cwd = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace sccache::test
