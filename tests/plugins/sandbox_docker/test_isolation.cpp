// What a job must not be able to do: read host files, reach any network, run as root or with
// capabilities, see another job's files or processes, or smuggle host files out through symlinks;
// and the limits of server.conf hold.
#include <future>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "docker_fixture.hpp"

using namespace sccache;
using namespace sccache::test;
using namespace sccache::test::docker;
namespace fs = std::filesystem;

TEST_CASE("a job cannot read host files") {
  require_docker_engine();
  TempDir host("sccache-docker-host");
  write_file(host / "secret.txt", "TOP-SECRET-4711");
  std::string p = (host / "secret.txt").string();
  SandboxResult r = run_bash("cat " + p + "; cat /proc/1/root" + p + "; cat ../../../../../.." + p +
                             "; cat /etc/shadow; exit 0");
  CHECK(r.stdout_data.find("TOP-SECRET") == std::string::npos);
  CHECK(r.stdout_data.find("root:") == std::string::npos);
  CHECK(r.stderr_data.find("No such file or directory") != std::string::npos);
}

TEST_CASE("a job has no network at all") {
  require_docker_engine();
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

  // The host's loopback and the docker0-style gateway addresses: none is reachable.
  SandboxResult r = run_bash("for h in 127.0.0.1 172.17.0.1 10.0.2.2; do (exec 3<>/dev/tcp/$h/" +
                             port + " && echo connected-$h); done; ls /sys/class/net");
  CHECK(r.stdout_data.find("connected") == std::string::npos);
  CHECK(r.stdout_data == "lo\n");  // no interface but the container's own loopback
  pollfd pending{listener, POLLIN, 0};
  CHECK(::poll(&pending, 1, 300) == 0);  // nothing ever reached the host's listener
  ::close(listener);
}

TEST_CASE("a job runs as the configured non-root user without capabilities") {
  require_docker_engine();
  SandboxResult r = run_bash("cat /proc/self/status");
  REQUIRE(r.exit_code == 0);
  INFO(r.stdout_data);
  CHECK(r.stdout_data.find("Uid:\t4321\t4321\t4321\t4321") != std::string::npos);
  CHECK(r.stdout_data.find("Gid:\t4322\t4322\t4322\t4322") != std::string::npos);
  CHECK(r.stdout_data.find("Groups:\t \n") != std::string::npos);  // none
  CHECK(r.stdout_data.find("CapInh:\t0000000000000000") != std::string::npos);
  CHECK(r.stdout_data.find("CapAmb:\t0000000000000000") != std::string::npos);
  CHECK(r.stdout_data.find("CapEff:\t0000000000000000") != std::string::npos);
  CHECK(r.stdout_data.find("CapPrm:\t0000000000000000") != std::string::npos);
  CHECK(r.stdout_data.find("CapBnd:\t0000000000000000") != std::string::npos);
  CHECK(r.stdout_data.find("NoNewPrivs:\t1") != std::string::npos);
  // The toolchain is root's: the job can change none of it.
  SandboxResult w = run_bash("echo garbage > /usr/bin/cat; rm -f /usr/bin/ln; echo x > /usr/bin/y");
  CHECK(w.stderr_data.find("/usr/bin/cat: Permission denied") != std::string::npos);
  CHECK(w.stderr_data.find("'/usr/bin/ln': Permission denied") != std::string::npos);
  CHECK(w.stderr_data.find("/usr/bin/y: Permission denied") != std::string::npos);
}

TEST_CASE("the limits of server.conf apply to every job") {
  require_docker_engine();
  SandboxResult r = run_bash(
      "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us "
      "/sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/pids/pids.max 2>/dev/null || "
      "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max");
  REQUIRE(r.exit_code == 0);
  // cgroup v1: bytes, quota, period, pids; v2: bytes, "quota period", pids.
  bool v1 = r.stdout_data == "536870912\n150000\n100000\n200\n";
  bool v2 = r.stdout_data == "536870912\n150000 100000\n200\n";
  INFO(r.stdout_data);
  CHECK((v1 || v2));

  // Going over the memory limit is a sandbox failure (the client compiles locally), not a result.
  std::string error = sandbox_error([] { run_bash("tail /dev/zero"); });
  CHECK(error.find("ran out of memory") != std::string::npos);
  CHECK(error.find("512 MiB") != std::string::npos);
}

TEST_CASE("a job never sees files, processes or IPC left by an earlier job") {
  require_docker_engine();
  SandboxResult first = run_bash(
      "echo secret-a > /work/dir/a-secret && echo secret-a > /tmp/a-secret && "
      "echo secret-a > /dev/shm/a-secret && (sleep 1000 &) && echo done");
  REQUIRE(first.stdout_data == "done\n");
  SandboxResult second = run_bash(
      "ls -a /work/dir /tmp /dev/shm; for p in /proc/[0-9]*; do cat $p/cmdline; echo; done >&2");
  CHECK(second.stdout_data.find("a-secret") == std::string::npos);
  CHECK(second.stderr_data.find("sleep") == std::string::npos);
}

TEST_CASE("a job cannot see a job running beside it") {
  require_docker_engine();
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
  CHECK(rb.stderr_data.find("secret-a") == std::string::npos);  // nor A's processes
}

TEST_CASE("outputs are collected only as regular files of the job's own tree") {
  require_docker_engine();
  TempDir host("sccache-docker-host");
  write_file(host / "secret.txt", "TOP-SECRET-4711");
  const std::string secret = (host / "secret.txt").string();
  TestJob t(full_toolchain().id, "/work/dir",
            {"/bin/bash", "-c",
             "ln -s " + secret +
                 " out.txt && ln -s /etc/passwd out2 && "
                 "ln -s /work/dir/real.o link.o && echo real > real.o"});
  t.add_input("/work/dir/dir.o/inside", "a directory is no output");
  t.job.outputs = {"out.txt", "out2", "dir.o", "link.o", "real.o", secret};
  SandboxResult r = shared_sandbox()->run(t.job);
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

TEST_CASE("symlinks in the inputs stay inside the job's tree") {
  require_docker_engine();
  TempDir host("sccache-docker-host");
  fs::create_directories(host / "real");
  {
    // /work -> <host dir>, which exists on the host but not in the job's tree: refused.
    TestJob t(full_toolchain().id, "/work/dir", {"/bin/bash", "-c", "echo made > out.txt"});
    fs::create_symlink(host / "real", t.job.inputs_root / "work");
    CHECK(sandbox_error([&] { shared_sandbox()->run(t.job); }).find("/work") != std::string::npos);
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
