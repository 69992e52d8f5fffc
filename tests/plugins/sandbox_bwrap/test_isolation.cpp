// What a job must not be able to do: read or write host files, reach the network, see other
// jobs, modify its inputs or the toolchain, or smuggle host files out through symlinks.
#include <future>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "sandbox_fixture.hpp"

using namespace sccache;
using namespace sccache::test;
using namespace sccache::test::bwrap;
namespace fs = std::filesystem;

TEST_CASE("a job cannot read host files outside its tree") {
  require_sandbox_environment();
  TempDir host("sccache-bwrap-host");
  write_file(host / "secret.txt", "TOP-SECRET-4711");
  std::string p = (host / "secret.txt").string();
  SandboxResult r = run_bash("cat " + p + "; cat /proc/1/root" + p + "; cat /proc/self/root" + p +
                             "; cat ../../../../../.." + p + "; exit 0");
  CHECK(r.stdout_data.find("TOP-SECRET") == std::string::npos);
  CHECK(r.stderr_data.find("No such file or directory") != std::string::npos);
}

TEST_CASE("a job cannot open network connections") {
  require_sandbox_environment();
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 8) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string port = std::to_string(ntohs(addr.sin_port));

  SandboxResult r = run_bash("exec 3<>/dev/tcp/127.0.0.1/" + port + " && echo connected");
  CHECK(r.exit_code != 0);
  CHECK(r.stdout_data.find("connected") == std::string::npos);
  pollfd pending{listener, POLLIN, 0};
  CHECK(::poll(&pending, 1, 300) == 0);  // nothing ever reached the host's listener
  ::close(listener);
}

TEST_CASE("a job cannot write outside its tree, nor into its inputs or toolchain") {
  require_sandbox_environment();
  TempDir host("sccache-bwrap-host");
  fs::path target = host / "pwned";
  TestJob t(full_toolchain().id, "/work/dir",
            {"/bin/bash", "-c",
             "echo owned > " + target.string() +
                 " && echo changed > in.txt && echo garbage > /usr/bin/cat && echo wrote"});
  // The host directory's path also exists in the job's tree, so the write succeeds in there.
  t.add_input((host / "placeholder").string(), "x");
  t.add_input("/work/dir/in.txt", "original");
  SandboxResult r = shared_sandbox()->run(t.job);
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_data == "wrote\n");
  CHECK_FALSE(fs::exists(target));
  CHECK_FALSE(fs::exists(t.job.inputs_root / target.relative_path()));
  CHECK(read_file(t.job.inputs_root / "work/dir/in.txt") == "original");
  fs::path tree = shared_sandbox().build_dir() / "toolchains" / full_toolchain().id;
  CHECK(read_file(tree / "usr/bin/cat") == read_file("/usr/bin/cat"));
}

TEST_CASE("symlinks in the inputs do not lead the sandbox out of the tree") {
  require_sandbox_environment();
  TempDir host("sccache-bwrap-host");
  fs::create_directories(host / "real");
  {
    // /work -> <host dir>, which exists on the host but not in the job's tree: refused.
    TestJob t(full_toolchain().id, "/work/dir", {"/bin/bash", "-c", "echo made > out.txt"});
    fs::create_symlink(host / "real", t.job.inputs_root / "work");
    try {
      shared_sandbox()->run(t.job);
      FAIL("the job ran in a cwd behind a dangling symlink");
    } catch (const SandboxError& e) {
      CHECK(std::string(e.what()).find("/work") != std::string::npos);
    }
  }
  {
    // The same path also exists in the tree: the symlink resolves there, never on the host.
    TestJob t(full_toolchain().id, "/work/dir", {"/bin/bash", "-c", "echo made > out.txt"});
    fs::create_symlink(host / "real", t.job.inputs_root / "work");
    t.add_input((host / "real/keep").string(), "in the tree");
    t.job.outputs = {"out.txt"};
    SandboxResult r = shared_sandbox()->run(t.job);
    CHECK(r.exit_code == 0);
    CHECK(r.collected == std::vector<std::string>{"/work/dir/out.txt"});
    CHECK(read_file(t.output("/work/dir/out.txt")) == "made\n");
  }
  CHECK(fs::is_empty(host / "real"));
}

TEST_CASE("a job cannot see another job") {
  require_sandbox_environment();
  TestJob a(full_toolchain().id, "/work",
            {"/bin/bash", "-c", "echo secret-a > /work/a-secret && sleep 2"});
  TestJob b(full_toolchain().id, "/work",
            {"/bin/bash", "-c",
             "ls -la /work; cat /work/a-secret; "
             "for p in /proc/[0-9]*; do cat $p/cmdline; echo; done >&2"});
  auto first = std::async(std::launch::async, [&] { return shared_sandbox()->run(a.job); });
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  SandboxResult rb = shared_sandbox()->run(b.job);
  SandboxResult ra = first.get();
  CHECK(ra.exit_code == 0);
  CHECK(rb.stderr_data.find("/work/a-secret: No such file or directory") != std::string::npos);
  CHECK(rb.stdout_data.find("a-secret") == std::string::npos);
  CHECK(rb.stdout_data.find("secret-a") == std::string::npos);
  CHECK(rb.stderr_data.find("secret-a") == std::string::npos);  // nor A's processes
}

TEST_CASE("an output that is a symlink to a host file is not collected as that file") {
  require_sandbox_environment();
  SandboxResult r = run_bash("ln -s /etc/passwd out.txt && ln -s ../../../../../etc/passwd out2",
                             {"out.txt", "out2", "/etc/passwd"});
  CHECK(r.exit_code == 0);
  CHECK(r.collected.empty());  // resolved inside the job's tree, which has no /etc/passwd
}
