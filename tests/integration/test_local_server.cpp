// The tiny wrapper and the local sccache server, with the real binaries: one server however many
// wrappers start at once, and never a lost compile — every way the server can fail ends in a
// correct object (compared byte for byte with a local compile) and at most a one-line warning.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "integration/cluster_fixture.hpp"
#include "support/test_support.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

// Mounting a full disk, chown to another user, and a process of another user need root.
const bool k_root = [] {
  if (::geteuid() != 0) {
    skip_whole_binary("the local server's failure tests need root (tmpfs mounts, other users)");
  }
  return true;
}();

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

size_t lines(const std::string& text) {
  return count(text, "\n");
}

// A project, a socket directory and a client config of their own; the server this test starts
// is stopped at the end, whatever happened.
class LocalServerTest {
 public:
  // `dist`: the [dist] table's body (none: distributed compilation off).
  explicit LocalServerTest(const std::string& dist = "") : m_dir("sccache-local-server") {
    fs::create_directories(socket_dir());
    fs::permissions(socket_dir(), fs::perms::owner_all, fs::perm_options::replace);
    write_file(m_dir / "client.conf",
               "[dist]\ncache_dir = \"" + (m_dir / "cache").string() + "\"\n" + dist);
    write_file(src() / "a.c",
               "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 6 * 7); return 0; }\n");
    env = {{"SCCACHE_SERVER_UDS", socket().string()},
           {"SCCACHE_ERROR_LOG", (m_dir / "server.log").string()},
           {"SCCACHE_CONF", (m_dir / "client.conf").string()}};
    REQUIRE(run({"gcc", "-O2", "-c", "a.c", "-o", "local.o"}, {}, src()).exit_code == 0);
  }
  ~LocalServerTest() {
    if (auto pid = server_pid()) {
      ::kill(*pid, SIGCONT);
    }
    run({sccache_binary().string(), "--stop-server"}, env);
  }

  fs::path socket_dir() const { return m_dir / "sock"; }
  fs::path socket() const { return socket_dir() / "server.sock"; }
  fs::path src() const { return m_dir / "src"; }
  const fs::path& dir() const { return m_dir.path(); }
  std::string log() const {
    std::error_code ec;
    return fs::exists(m_dir / "server.log", ec) ? read_file(m_dir / "server.log") : "";
  }
  std::optional<int> server_pid() const {
    std::ifstream in(socket().string() + ".pid");
    int pid = 0;
    return in >> pid ? std::optional<int>(pid) : std::nullopt;
  }

  RunResult compile(const std::string& out, std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> all = env;
    all.insert(extra.begin(), extra.end());
    fs::remove(src() / out);
    return run({sccache_binary().string(), "gcc", "-O2", "-c", "a.c", "-o", out}, all, src());
  }
  // The object `out` is the one a local compile makes.
  bool same_as_local(const std::string& out) const {
    std::error_code ec;
    return fs::exists(src() / out, ec) && read_file(src() / out) == read_file(src() / "local.o");
  }

  std::map<std::string, std::string> env;

 private:
  TempDir m_dir;
};

// A compiler named gcc that waits, where a test must act, until it is told to go on: whenever
// the local server runs it (to package or preprocess), or always.
struct GatedCompiler {
  enum class When { under_server, always };
  explicit GatedCompiler(const fs::path& dir, When when = When::under_server)
      : bin(dir / "gated-bin"), gate(dir / "gate") {
    fs::create_directories(bin);
    fs::create_directories(gate);
    const std::string gated = when == When::always
                                  ? "true"
                                  : "case \"$(readlink /proc/$PPID/exe)\" in *sccache-server) "
                                    "true ;; *) false ;; esac";
    write_file(bin / "gcc",
               "#!/bin/sh\n"
               "if " +
                   gated + " && [ ! -e \"" + (gate / "open").string() +
                   "\" ]; then\n"
                   "  touch \"" +
                   (gate / "waiting").string() +
                   "\"\n"
                   "  while [ ! -e \"" +
                   (gate / "open").string() +
                   "\" ]; do sleep 0.02; done\n"
                   "fi\n"
                   "exec /usr/bin/gcc \"$@\"\n");
    fs::permissions(bin / "gcc", fs::perms::owner_all);
  }
  std::string path_env() const { return bin.string() + ":/usr/bin:/bin"; }
  bool wait_until_waiting() const {
    return wait_until([&] { return fs::exists(gate / "waiting"); }, std::chrono::seconds(30));
  }
  void open() const { write_file(gate / "open", ""); }

  fs::path bin;
  fs::path gate;
};

// A scheduler that is never there: the server takes the remote path (and so runs the compiler to
// package it) and then falls back.
const std::string k_unreachable_scheduler = "scheduler_url = \"http://127.0.0.1:9\"\n";

}  // namespace

TEST_CASE("the first compile starts the server; later compiles and commands use it") {
  LocalServerTest t;
  RunResult first = t.compile("a.o");
  INFO(first.err << t.log());
  REQUIRE(first.exit_code == 0);
  CHECK(first.err.empty());
  CHECK(t.same_as_local("a.o"));
  REQUIRE(t.server_pid());
  const int pid = *t.server_pid();
  REQUIRE(t.compile("b.o").exit_code == 0);
  CHECK(t.same_as_local("b.o"));
  CHECK(t.server_pid() == pid);  // the same server served both
  CHECK(count(t.log(), "listening on") == 1);

  RunResult stats = run({sccache_binary().string(), "--show-stats", "--json"}, t.env);
  CHECK(stats.out.find("\"compile_requests\":2") != std::string::npos);
  // --stop-server prints the statistics (CI scripts call it for that), and they stay: the file
  // has them once the server is gone.
  RunResult stop = run({sccache_binary().string(), "--stop-server"}, t.env);
  CHECK(stop.exit_code == 0);
  CHECK(stop.out.find("Compile requests") != std::string::npos);
  CHECK(stop.out.find(" 2\n") != std::string::npos);
  CHECK(wait_until([&] { return !fs::exists(t.socket()); }, std::chrono::seconds(10)));
  CHECK(wait_until([&] { return ::kill(pid, 0) != 0; }, std::chrono::seconds(10)));
  RunResult after = run({sccache_binary().string(), "--show-stats", "--json"}, t.env);
  CHECK(after.out.find("\"compile_requests\":2") != std::string::npos);
  CHECK_FALSE(fs::exists(t.socket()));  // reading the stats starts no server
}

TEST_CASE("32 wrappers starting at once leave exactly one server, and all compile") {
  LocalServerTest t;
  std::vector<std::unique_ptr<ChildProcess>> wrappers;
  for (int i = 0; i < 32; ++i) {
    wrappers.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{sccache_binary().string(), "gcc", "-O2", "-c", "a.c", "-o",
                                 "p" + std::to_string(i) + ".o"},
        t.env, t.src()));
  }
  for (int i = 0; i < 32; ++i) {
    INFO(wrappers[i]->stderr_text());
    CHECK(wrappers[i]->wait(std::chrono::seconds(120)) == 0);
    CHECK(wrappers[i]->stderr_text().empty());
    CHECK(t.same_as_local("p" + std::to_string(i) + ".o"));
  }
  INFO(t.log());
  CHECK(count(t.log(), "listening on") == 1);
  RunResult stats = run({sccache_binary().string(), "--show-stats", "--json"}, t.env);
  CHECK(stats.out.find("\"compile_requests\":32") != std::string::npos);
}

TEST_CASE("a local compile through the server is the compiler's own: exit code, stdin, signal") {
  LocalServerTest t;
  write_file(t.src() / "bad.c", "int f(void) { return missing; }\n");
  RunResult bad =
      run({sccache_binary().string(), "gcc", "-c", "bad.c", "-o", "bad.o"}, t.env, t.src());
  RunResult direct = run({"gcc", "-c", "bad.c", "-o", "bad.o"}, {}, t.src());
  CHECK(bad.exit_code == direct.exit_code);
  CHECK(bad.err == direct.err);
  // stdin reaches the compiler (the wrapper execs it with its own stdio).
  RunResult from_stdin =
      run({"sh", "-c",
           "printf 'int s;\\n' | " + sccache_binary().string() + " gcc -x c -c - -o stdin.o"},
          t.env, t.src());
  CHECK(from_stdin.exit_code == 0);
  CHECK(fs::exists(t.src() / "stdin.o"));
  // A compiler killed by a signal kills the wrapper the same way.
  GatedCompiler gated(t.dir(), GatedCompiler::When::always);
  std::map<std::string, std::string> env = t.env;
  env["PATH"] = gated.path_env();
  ChildProcess wrapper({sccache_binary().string(), "gcc", "-c", "a.c", "-o", "killed.o"}, env,
                       t.src());
  REQUIRE(gated.wait_until_waiting());
  RunResult pids = run({"pgrep", "-f", gated.bin.string() + "/gcc"});
  REQUIRE(pids.exit_code == 0);
  // The wrapper became the compiler (exec): its pid runs the gated script now.
  CHECK(pids.out.find(std::to_string(wrapper.pid())) != std::string::npos);
  wrapper.signal(SIGTERM);
  CHECK(wrapper.wait() == 128 + SIGTERM);
}

TEST_CASE("a server that cannot start: the compile is local, with one line of warning") {
  LocalServerTest t;
  SECTION("the socket directory cannot be made") {
    t.env["SCCACHE_SERVER_UDS"] = "/proc/no-such-dir/server.sock";
  }
  SECTION("the socket directory belongs to another user") {
    const fs::path foreign = t.dir() / "foreign";
    fs::create_directories(foreign);
    fs::permissions(foreign, fs::perms::owner_all, fs::perm_options::replace);
    REQUIRE(::chown(foreign.c_str(), 65534, 65534) == 0);
    t.env["SCCACHE_SERVER_UDS"] = (foreign / "server.sock").string();
  }
  SECTION("the socket directory is open to other users") {
    const fs::path open = t.dir() / "open";
    fs::create_directories(open);
    fs::permissions(open, fs::perms::all, fs::perm_options::replace);
    t.env["SCCACHE_SERVER_UDS"] = (open / "server.sock").string();
  }
  RunResult r = t.compile("a.o");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(t.same_as_local("a.o"));
  CHECK(lines(r.err) == 1);
  CHECK(r.err.find("sccache: warning: the sccache server cannot run") == 0);
  CHECK(r.err.find("compiling locally") != std::string::npos);
}

TEST_CASE("a server process of another user is never told anything") {
  LocalServerTest t;
  // Another user's process listening on our socket path (in our own directory, which only we and
  // root could have arranged): the wrapper sees who it is and sends it nothing.
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  const pid_t rogue = ::fork();
  if (rogue == 0) {
    ::close(ready[0]);
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, t.socket().c_str());
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::setgid(65534) != 0 || ::setuid(65534) != 0 || ::listen(fd, 8) != 0) {
      ::_exit(1);
    }
    ::write(ready[1], "r", 1);
    size_t received = 0;
    while (true) {  // counts every byte anyone sends, and reports it as its exit status
      int client = ::accept(fd, nullptr, nullptr);
      char buffer[4096];
      ssize_t n;
      while ((n = ::read(client, buffer, sizeof buffer)) > 0) {
        received += static_cast<size_t>(n);
      }
      ::close(client);
      if (received > 0) {
        ::_exit(2);
      }
    }
  }
  ::close(ready[1]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);
  ::close(ready[0]);
  RunResult r = t.compile("a.o");
  INFO(r.err << t.log());
  CHECK(r.exit_code == 0);
  CHECK(t.same_as_local("a.o"));
  int status = 0;
  // The rogue got no byte: it is still waiting (a byte would have ended it with status 2).
  CHECK(::waitpid(rogue, &status, WNOHANG) == 0);
  ::kill(rogue, SIGKILL);
  ::waitpid(rogue, &status, 0);
  CHECK(WTERMSIG(status) == SIGKILL);
}

TEST_CASE("a server killed in the middle of a compile: the wrapper compiles locally") {
  LocalServerTest t(k_unreachable_scheduler);
  REQUIRE(t.compile("warm.o").exit_code == 0);  // the server runs
  REQUIRE(t.server_pid());
  GatedCompiler gated(t.dir());
  std::map<std::string, std::string> env = t.env;
  env["PATH"] = gated.path_env();
  ChildProcess wrapper({sccache_binary().string(), "gcc", "-O2", "-c", "a.c", "-o", "a.o"}, env,
                       t.src());
  REQUIRE(gated.wait_until_waiting());  // the server is running the compiler for this compile
  REQUIRE(::kill(*t.server_pid(), SIGKILL) == 0);
  gated.open();
  CHECK(wrapper.wait(std::chrono::seconds(60)) == 0);
  INFO(wrapper.stderr_text());
  CHECK(t.same_as_local("a.o"));
  CHECK(lines(wrapper.stderr_text()) == 1);
  CHECK(wrapper.stderr_text().find("went away during the compile; compiling locally") !=
        std::string::npos);
  // The next compile starts a new server.
  RunResult next = t.compile("b.o");
  CHECK(next.exit_code == 0);
  CHECK(t.same_as_local("b.o"));
}

TEST_CASE("a hung server: after SCCACHE_SERVER_TIMEOUT the wrapper compiles locally") {
  LocalServerTest t(k_unreachable_scheduler);
  REQUIRE(t.compile("warm.o").exit_code == 0);
  REQUIRE(t.server_pid());
  GatedCompiler gated(t.dir());
  std::map<std::string, std::string> env = t.env;
  env["PATH"] = gated.path_env();
  env["SCCACHE_SERVER_TIMEOUT"] = "2";
  ChildProcess wrapper({sccache_binary().string(), "gcc", "-O2", "-c", "a.c", "-o", "a.o"}, env,
                       t.src());
  REQUIRE(gated.wait_until_waiting());
  REQUIRE(::kill(*t.server_pid(), SIGSTOP) == 0);  // frozen: no progress any more
  gated.open();
  const auto start = std::chrono::steady_clock::now();
  CHECK(wrapper.wait(std::chrono::seconds(60)) == 0);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
  INFO(wrapper.stderr_text());
  CHECK(t.same_as_local("a.o"));
  CHECK(lines(wrapper.stderr_text()) == 1);
  CHECK(wrapper.stderr_text().find("did not answer for 2 s; compiling locally") !=
        std::string::npos);
  ::kill(*t.server_pid(), SIGCONT);
}

TEST_CASE("a server of another build is replaced by the wrapper's own") {
  LocalServerTest t;
  REQUIRE(t.compile("a.o").exit_code == 0);
  const int old_pid = t.server_pid().value();
  // Another install of the same tree (as after an upgrade): its server binary is another file.
  const fs::path prefix = t.dir() / "other-install";
  fs::create_directories(prefix / "bin");
  fs::create_directories(prefix / "libexec/sccache");
  fs::copy(bin_dir().parent_path() / "lib", prefix / "lib", fs::copy_options::recursive);
  fs::copy_file(sccache_binary(), prefix / "bin/sccache");
  fs::copy_file(bin_dir().parent_path() / "libexec/sccache/sccache-server",
                prefix / "libexec/sccache/sccache-server");
  fs::remove(t.src() / "b.o");
  RunResult other = run({(prefix / "bin/sccache").string(), "gcc", "-O2", "-c", "a.c", "-o", "b.o"},
                        t.env, t.src());
  INFO(other.err << t.log());
  CHECK(other.exit_code == 0);
  CHECK(other.err.empty());
  CHECK(t.same_as_local("b.o"));
  CHECK(wait_until([&] { return ::kill(old_pid, 0) != 0; }, std::chrono::seconds(30)));
  REQUIRE(t.server_pid());
  CHECK(*t.server_pid() != old_pid);
  CHECK(fs::read_symlink("/proc/" + std::to_string(*t.server_pid()) + "/exe") ==
        prefix / "libexec/sccache/sccache-server");
  CHECK(t.log().find("stopping to make way") != std::string::npos);
}

TEST_CASE("a server whose disk is full: compiles go on locally") {
  LocalServerTest t(k_unreachable_scheduler);
  const fs::path full = t.dir() / "full";
  fs::create_directories(full);
  if (::mount("tmpfs", full.c_str(), "tmpfs", 0, "size=64k") != 0) {
    FAIL("cannot mount a tmpfs (the test runs as root): " << std::strerror(errno));
  }
  struct Unmount {
    fs::path path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{full};
  {
    std::ofstream fill(full / "fill", std::ios::binary);
    fill << std::string(64 * 1024, 'x');
  }
  // The server's cache (toolchains, job outputs, statistics) is on the full disk.
  write_file(t.dir() / "client.conf", "[dist]\n" + k_unreachable_scheduler + "cache_dir = \"" +
                                          full.string() + "/cache\"\n");
  RunResult r = t.compile("a.o");
  INFO(r.err << t.log());
  CHECK(r.exit_code == 0);
  CHECK(t.same_as_local("a.o"));
  CHECK(lines(r.err) <= 1);
}

TEST_CASE("SCCACHE_IDLE_TIMEOUT stops an idle server; SCCACHE_NO_DAEMON needs none") {
  LocalServerTest t;
  SECTION("idle for a second") {
    REQUIRE(t.compile("a.o", {{"SCCACHE_IDLE_TIMEOUT", "1"}}).exit_code == 0);
    CHECK(wait_until([&] { return !fs::exists(t.socket()); }, std::chrono::seconds(15)));
    CHECK(t.log().find("SCCACHE_IDLE_TIMEOUT") != std::string::npos);
  }
  SECTION("in the wrapper's own process") {
    RunResult r = t.compile("a.o", {{"SCCACHE_NO_DAEMON", "1"}});
    CHECK(r.exit_code == 0);
    CHECK(t.same_as_local("a.o"));
    CHECK_FALSE(fs::exists(t.socket()));
    RunResult stats = run({sccache_binary().string(), "--show-stats", "--json"}, t.env);
    CHECK(stats.out.find("\"compile_requests\":1") != std::string::npos);
  }
}

TEST_CASE("the wrapper links only the C runtime") {
  RunResult ldd = run({"ldd", sccache_binary().string()});
  REQUIRE(ldd.exit_code == 0);
  INFO(ldd.out);
  for (const char* heavy : {"Poco", "ssl", "crypto", "archive", "spdlog", "fmt", "stdc++"}) {
    CHECK(ldd.out.find(heavy) == std::string::npos);
  }
  RunResult version = run({sccache_binary().string(), "--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("sccache ", 0) == 0);
}
