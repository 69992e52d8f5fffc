// util::spawn and util::run_captured: the working directory and environment options are
// honoured, descriptors are mapped and the others closed on request, a timeout kills the whole
// process group (grandchildren included), and exit statuses read as the shell's.
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "util/process.hpp"

#include "support/test_support.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

util::SpawnOptions shell(const std::string& script) {
  util::SpawnOptions options;
  options.argv = {"/bin/sh", "-c", script};
  return options;
}

// Whether `pid` is gone: no such process, or a zombie its new parent has not reaped yet.
bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0) {
    return errno == ESRCH;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

}  // namespace

TEST_CASE("run_captured captures stdout, stderr and the exit status") {
  util::CapturedRun run = util::run_captured(shell("echo out; echo err >&2; exit 3"));
  CHECK(run.out == "out\n");
  CHECK(run.err == "err\n");
  CHECK(util::shell_exit_code(run.status) == 3);
  CHECK(util::describe_wait_status(run.status) == "exited with 3");

  util::CapturedRun killed = util::run_captured(shell("kill -9 $$"));
  CHECK(util::shell_exit_code(killed.status) == 128 + SIGKILL);
  CHECK(util::describe_wait_status(killed.status) == "killed by signal 9");
}

TEST_CASE("spawn honours the working directory") {
  TempDir dir;
  util::SpawnOptions options = shell("pwd; cat here.txt");
  write_file(dir / "here.txt", "found");
  options.cwd = dir.path();
  util::CapturedRun run = util::run_captured(options);
  CHECK(run.out == fs::canonical(dir.path()).string() + "\nfound");
  CHECK(util::shell_exit_code(run.status) == 0);
}

TEST_CASE("spawn honours the environment option, and inherits the caller's without it") {
  ScopedEnv inherited("SCCACHE_PROCESS_TEST", std::string("from-parent"));
  util::SpawnOptions options;
  options.argv = {"/usr/bin/env"};
  options.environment = std::vector<std::string>{"ONLY=this", "AND=that"};
  CHECK(util::run_captured(options).out == "ONLY=this\nAND=that\n");

  options.environment.reset();
  CHECK(util::run_captured(options).out.find("SCCACHE_PROCESS_TEST=from-parent\n") !=
        std::string::npos);

  const auto current = util::current_environment();
  CHECK(std::find(current.begin(), current.end(), "SCCACHE_PROCESS_TEST=from-parent") !=
        current.end());
}

TEST_CASE("spawn looks a bare name up in PATH only with search_path") {
  util::SpawnOptions options;
  options.argv = {"sh", "-c", "echo via-path"};
  options.search_path = true;
  CHECK(util::run_captured(options).out == "via-path\n");
  options.search_path = false;
  TempDir empty;  // no ./sh here
  options.cwd = empty.path();
  CHECK_THROWS_AS(util::run_captured(options), util::SpawnError);

  util::SpawnOptions other;
  other.argv = {"not-the-program", "-c", "echo $0"};
  other.executable = "/bin/sh";
  CHECK(util::run_captured(other).out == "not-the-program\n");
}

TEST_CASE("stdin is /dev/null unless inherited") {
  util::CapturedRun run = util::run_captured(shell("cat; echo end"));
  CHECK(run.out == "end\n");
}

TEST_CASE("close_other_fds closes what the caller leaked; mapped descriptors stay") {
  // A descriptor opened without O_CLOEXEC, as another thread might have.
  const int opened = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(opened >= 0);
  const int leaked = ::fcntl(opened, F_DUPFD, 20);  // F_DUPFD: without FD_CLOEXEC
  ::close(opened);
  REQUIRE(leaked >= 20);
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  const std::string probe = "for fd in 3 " + std::to_string(leaked) +
                            "; do if [ -e /proc/self/fd/$fd ]; then echo $fd:open; else echo "
                            "$fd:closed; fi; done; echo mapped >&3";
  util::SpawnOptions options = shell(probe);
  options.fds = {{3, pipe_fds[1]}};

  util::CapturedRun leaky = util::run_captured(options);
  CHECK(leaky.out == "3:open\n" + std::to_string(leaked) + ":open\n");

  options.close_other_fds = true;
  util::CapturedRun closed = util::run_captured(options);
  CHECK(closed.out == "3:open\n" + std::to_string(leaked) + ":closed\n");
  ::close(pipe_fds[1]);
  char buffer[64] = {};
  CHECK(::read(pipe_fds[0], buffer, sizeof buffer) == 14);  // "mapped\n" twice
  CHECK(std::string(buffer) == "mapped\nmapped\n");
  ::close(pipe_fds[0]);
  ::close(leaked);
}

TEST_CASE("killing a child with its own process group kills its children too") {
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  util::SpawnOptions options = shell("sleep 300 & echo $! >&3; wait");
  options.fds = {{3, pipe_fds[1]}};
  options.new_process_group = true;
  util::Child child = util::spawn(options);
  ::close(pipe_fds[1]);
  // The handshake: the grandchild's pid, once it runs.
  std::string text;
  char buffer[32];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) {
    text.append(buffer, static_cast<size_t>(n));
    if (text.find('\n') != std::string::npos) {
      break;
    }
  }
  ::close(pipe_fds[0]);
  const pid_t grandchild = static_cast<pid_t>(std::stol(text));
  CHECK_FALSE(child.wait_for(std::chrono::milliseconds(0)).has_value());  // still running
  CHECK_FALSE(process_gone(grandchild));
  const int status = child.kill_and_reap();
  CHECK(util::shell_exit_code(status) == 128 + SIGKILL);
  CHECK(wait_until([&] { return process_gone(grandchild); }, std::chrono::seconds(10)));
}

TEST_CASE("run_captured with a timeout kills the whole process group and throws") {
  TempDir dir;
  const fs::path pid_file = dir / "grandchild.pid";
  util::SpawnOptions options =
      shell("sleep 300 & echo $! > " + pid_file.string() + "; echo started; wait");
  CHECK_THROWS_AS(util::run_captured(options, std::chrono::milliseconds(1500)), util::SpawnError);
  const std::string text = read_file(pid_file);  // written long before the timeout
  REQUIRE_FALSE(text.empty());
  const pid_t grandchild = static_cast<pid_t>(std::stol(text));
  CHECK(wait_until([&] { return process_gone(grandchild); }, std::chrono::seconds(10)));

  // Within the time, the status comes back as usual.
  util::CapturedRun quick = util::run_captured(shell("exit 7"), std::chrono::seconds(30));
  CHECK(util::shell_exit_code(quick.status) == 7);
}

TEST_CASE("a Child destroyed while running is killed with its group and reaped") {
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  pid_t pid = 0;
  {
    util::SpawnOptions options = shell("echo $$ >&3; exec sleep 300");
    options.fds = {{3, pipe_fds[1]}};
    options.new_process_group = true;
    util::Child child = util::spawn(options);
    pid = child.pid();
    ::close(pipe_fds[1]);
    char buffer[32];
    REQUIRE(::read(pipe_fds[0], buffer, sizeof buffer) > 0);  // it runs
    ::close(pipe_fds[0]);
  }
  // Reaped by the destructor: waitpid finds no such child any more.
  int status = 0;
  CHECK(::waitpid(pid, &status, WNOHANG) == -1);
  CHECK(errno == ECHILD);
}

TEST_CASE("spawn without argv throws") {
  CHECK_THROWS_AS(util::spawn(util::SpawnOptions{}), util::SpawnError);
  util::SpawnOptions missing;
  missing.argv = {"/nonexistent/program"};
  CHECK_THROWS_AS(util::spawn(missing), util::SpawnError);
}
