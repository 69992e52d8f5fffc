// Conformance: what a job must not be able to do. Read host files, reach any network, change
// the host, its inputs or the toolchain, see another job's files or processes (running beside it
// or before it), or smuggle host files out through symlinks.
#include <future>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "plugins/sandbox_conformance/conformance.hpp"

using namespace sccache;
using namespace sccache::test;
using namespace sccache::test::conformance;
namespace fs = std::filesystem;

TEST_CASE("a job cannot read host files", "[conformance]") {
  require_backend();
  TempDir host("sccache-sandbox-host");
  write_file(host / "secret.txt", "TOP-SECRET-4711");
  std::string p = (host / "secret.txt").string();
  SandboxResult r = run_bash("cat " + p + "; cat /proc/1/root" + p + "; cat /proc/self/root" + p +
                             "; cat ../../../../../.." + p + "; cat /etc/shadow; exit 0");
  CHECK(r.stdout_data.find("TOP-SECRET") == std::string::npos);
  CHECK(r.stdout_data.find("root:") == std::string::npos);
  CHECK(r.stderr_data.find("No such file or directory") != std::string::npos);
}

TEST_CASE("a job has no network at all", "[conformance]") {
  require_backend();
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 8) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string port = std::to_string(ntohs(addr.sin_port));

  // The host's loopback and the usual gateway addresses: none is reachable. The only interface
  // is the job's own loopback.
  SandboxResult r =
      run_bash("for h in 127.0.0.1 172.17.0.1 10.0.2.2; do (exec 3<>/dev/tcp/$h/" + port +
               " && echo connected-$h); done; "
               "while IFS=: read -r name rest; do echo $name; done < /proc/net/dev");
  INFO(r.stdout_data << r.stderr_data);
  CHECK(r.stdout_data.find("connected") == std::string::npos);
  CHECK(r.stdout_data.find("lo\n") != std::string::npos);
  CHECK(r.stdout_data.find("eth") == std::string::npos);
  CHECK(r.stdout_data.find("docker") == std::string::npos);
  pollfd pending{listener, POLLIN, 0};
  CHECK(::poll(&pending, 1, 300) == 0);  // nothing ever reached the host's listener
  ::close(listener);
}

TEST_CASE("a job cannot change the host, its inputs or the toolchain", "[conformance]") {
  require_backend();
  TempDir host("sccache-sandbox-host");
  fs::path target = host / "pwned";
  TestJob t(full_toolchain().id, "/work/dir",
            {"/bin/bash", "-c",
             "echo owned > " + target.string() +
                 "; echo changed > in.txt; echo garbage > /usr/bin/cat; rm -f /usr/bin/sleep; "
                 "echo done"});
  // The host directory's path also exists in the job's tree, so the first write may succeed in
  // there; it must not reach the host.
  t.add_input((host / "placeholder").string(), "x");
  t.add_input("/work/dir/in.txt", "original");
  SandboxResult r = shared()->run(t.job);
  CHECK(r.stdout_data == "done\n");
  CHECK_FALSE(fs::exists(target));
  CHECK_FALSE(fs::exists(t.job.inputs_root / target.relative_path()));
  CHECK(read_file(t.job.inputs_root / "work/dir/in.txt") == "original");

  // The next job gets the toolchain as it was prepared.
  SandboxResult after = run_bash("/usr/bin/cat /usr/bin/cat && /usr/bin/sleep 0");
  CHECK(after.exit_code == 0);
  CHECK(after.stdout_data == read_file("/usr/bin/cat"));
}

TEST_CASE("symlinks in the inputs stay inside the job's tree", "[conformance]") {
  require_backend();
  TempDir host("sccache-sandbox-host");
  fs::create_directories(host / "real");
  {
    // /work -> <host dir>, which exists on the host but not in the job's tree: refused.
    TestJob t(full_toolchain().id, "/work/dir", {"/bin/bash", "-c", "echo made > out.txt"});
    fs::create_symlink(host / "real", t.job.inputs_root / "work");
    CHECK(sandbox_error([&] { shared()->run(t.job); }).find("/work") != std::string::npos);
  }
  {
    // The same path also exists in the tree: the symlink resolves there, never on the host.
    TestJob t(full_toolchain().id, "/work/dir", {"/bin/bash", "-c", "echo made > out.txt"});
    fs::create_symlink(host / "real", t.job.inputs_root / "work");
    t.add_input((host / "real/keep").string(), "in the tree");
    t.job.outputs = {"out.txt"};
    SandboxResult r = shared()->run(t.job);
    CHECK(r.exit_code == 0);
    CHECK(r.collected == std::vector<std::string>{"/work/dir/out.txt"});
    CHECK(read_file(t.output("/work/dir/out.txt")) == "made\n");
  }
  CHECK(fs::is_empty(host / "real"));
}

TEST_CASE("outputs are collected only as regular files of the job's own tree", "[conformance]") {
  require_backend();
  TempDir host("sccache-sandbox-host");
  write_file(host / "secret.txt", "TOP-SECRET-4711");
  const std::string secret = (host / "secret.txt").string();
  TestJob t(full_toolchain().id, "/work/dir",
            {"/bin/bash", "-c",
             "ln -s " + secret +
                 " out.txt && ln -s /etc/passwd out2 && "
                 "ln -s ../../../../../etc/passwd out3 && "
                 "ln -s /work/dir/real.o link.o && echo real > real.o"});
  t.add_input("/work/dir/dir.o/inside", "a directory is no output");
  t.job.outputs = {"out.txt", "out2", "out3", "dir.o", "link.o", "real.o", secret, "/etc/passwd"};
  SandboxResult r = shared()->run(t.job);
  CHECK(r.exit_code == 0);
  CHECK(r.collected == std::vector<std::string>{"/work/dir/real.o"});
  std::vector<std::string> written;
  for (const auto& entry : fs::recursive_directory_iterator(t.job.outputs_root)) {
    if (!entry.is_directory()) {
      written.push_back(fs::relative(entry.path(), t.job.outputs_root).string());
    }
  }
  CHECK(written == std::vector<std::string>{"work/dir/real.o"});
  CHECK(read_file(t.output("/work/dir/real.o")) == "real\n");
}

TEST_CASE("a job cannot see a job running beside it", "[conformance]") {
  require_backend();
  std::future<SandboxResult> first;  // declared first: destroyed after the marker is released
  JobMarker a_wrote;
  TestJob a(full_toolchain().id, "/work",
            {"/bin/bash", "-c",
             "echo secret-a > /work/a-secret && " + a_wrote.command() + "; echo a-done"});
  TestJob b(full_toolchain().id, "/work",
            {"/bin/bash", "-c",
             "ls -la /work; cat /work/a-secret; "
             "for p in /proc/[0-9]*; do cat $p/cmdline; echo; done >&2"});
  first = std::async(std::launch::async, [&] { return shared()->run(a.job); });
  // The handshake: A has written its secret and waits at the marker, running while B runs.
  REQUIRE(a_wrote.wait_running(std::chrono::seconds(60)));
  SandboxResult rb = shared()->run(b.job);
  CHECK(a_wrote.running());  // A was running all along
  a_wrote.release();
  SandboxResult ra = first.get();
  CHECK(ra.exit_code == 0);
  CHECK(ra.stdout_data == "a-done\n");
  CHECK(rb.stderr_data.find("/work/a-secret: No such file or directory") != std::string::npos);
  CHECK(rb.stdout_data.find("a-secret") == std::string::npos);
  CHECK(rb.stdout_data.find("secret-a") == std::string::npos);
  CHECK(rb.stderr_data.find("secret-a") == std::string::npos);  // nor A's processes
  CHECK(rb.stderr_data.find(a_wrote.token()) == std::string::npos);
}

TEST_CASE("a job never sees files, processes or IPC left by an earlier job", "[conformance]") {
  require_backend();
  SandboxResult first = run_bash(
      "echo secret-a > /work/dir/a-secret && echo secret-a > /tmp/a-secret && "
      "echo secret-a > /dev/shm/a-secret && (sleep 1000 &) && echo done");
  REQUIRE(first.stdout_data == "done\n");
  SandboxResult second = run_bash(
      "ls -a /work/dir /tmp /dev/shm; for p in /proc/[0-9]*; do cat $p/cmdline; echo; done >&2");
  CHECK(second.stdout_data.find("a-secret") == std::string::npos);
  CHECK(second.stderr_data.find("sleep") == std::string::npos);
}
