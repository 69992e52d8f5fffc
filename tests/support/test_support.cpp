#include "support/test_support.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace sccache::test {

ScopedEnv::ScopedEnv(const char* name, std::optional<std::string> value) : m_name(name) {
  if (const char* old = ::getenv(name)) {
    m_old = old;
  }
  value ? ::setenv(name, value->c_str(), 1) : ::unsetenv(name);
}

ScopedEnv::~ScopedEnv() {
  m_old ? ::setenv(m_name, m_old->c_str(), 1) : ::unsetenv(m_name);
}
namespace fs = std::filesystem;

void skip_whole_binary(const std::string& reason) {
  std::cerr << "\n"
            << "************************************************************\n"
            << "*** SKIPPED: " << reason << "\n"
            << "************************************************************\n"
            << std::endl;
  std::exit(k_skip_exit_code);
}

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
  }
  m_path = pattern;
}

TempDir::~TempDir() {
  if (std::getenv("SCCACHE_TEST_KEEP") == nullptr) {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
}

void write_file(const fs::path& path, const std::string& contents) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  if (!out) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

namespace {
fs::path env_path(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) {
    throw std::runtime_error(std::string(name) + " is not set; run the tests through ctest");
  }
  return value;
}
}  // namespace

fs::path bin_dir() {
  return env_path("SCCACHE_TEST_BIN_DIR");
}
fs::path source_dir() {
  return env_path("SCCACHE_TEST_SOURCE_DIR");
}
fs::path build_dir() {
  return env_path("SCCACHE_TEST_BUILD_DIR");
}

ChildProcess::ChildProcess(std::vector<std::string> argv,
                           std::map<std::string, std::string> extra_env, fs::path cwd,
                           fs::path log_dir) {
  if (log_dir.empty()) {
    std::string pattern = (fs::temp_directory_path() / "sccache-child-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    m_own_dir = pattern;
    log_dir = m_own_dir;
  }
  static std::atomic<int> counter{0};
  std::string stem = fs::path(argv.at(0)).filename().string() + "-" + std::to_string(counter++);
  m_stdout = log_dir / (stem + ".out");
  m_stderr = log_dir / (stem + ".err");

  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    env[entry.substr(0, eq)] = eq == std::string::npos ? "" : entry.substr(eq + 1);
  }
  for (auto& [k, v] : extra_env) {
    env[k] = v;
  }
  std::vector<std::string> env_strings;
  for (auto& [k, v] : env) {
    env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& a : argv) {
    args.push_back(a.data());
  }
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, m_stdout.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, m_stderr.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  if (!cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  }
  int rc = ::posix_spawnp(&m_pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
}

ChildProcess::~ChildProcess() {
  if (!m_exited && m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
  }
  if (!m_own_dir.empty() && std::getenv("SCCACHE_TEST_KEEP") == nullptr) {
    std::error_code ec;
    fs::remove_all(m_own_dir, ec);
  }
}

bool ChildProcess::running() {
  if (m_exited) {
    return false;
  }
  int status = 0;
  pid_t r = ::waitpid(m_pid, &status, WNOHANG);
  if (r == m_pid) {
    m_exited = true;
    m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

void ChildProcess::signal(int sig) {
  if (!m_exited) {
    ::kill(m_pid, sig);
  }
}

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (wait_until([this] { return !running(); }, timeout)) {
    return m_status;
  }
  return -1;
}

std::string ChildProcess::stdout_text() const {
  return read_file(m_stdout);
}
std::string ChildProcess::stderr_text() const {
  return read_file(m_stderr);
}

RunResult run(std::vector<std::string> argv, std::map<std::string, std::string> extra_env,
              fs::path cwd, std::chrono::milliseconds timeout) {
  ChildProcess child(std::move(argv), std::move(extra_env), std::move(cwd));
  RunResult result;
  result.exit_code = child.wait(timeout);
  result.out = child.stdout_text();
  result.err = child.stderr_text();
  return result;
}

}  // namespace sccache::test
