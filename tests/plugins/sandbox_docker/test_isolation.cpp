// Docker-specific isolation: the job's user, capabilities and the limits of server.conf. What
// every sandbox must keep a job from doing is in the conformance suite.
#include <catch2/catch.hpp>

#include "plugins/sandbox_docker/docker_fixture.hpp"

using namespace sccache;
using namespace sccache::test;
using namespace sccache::test::docker;
namespace fs = std::filesystem;

namespace {

// A bash script that writes `mib` MiB of spaces to stdout, then runs `then`.
std::string write_mib(int mib, const std::string& then = "") {
  return "x=$(printf '%1048576s' ''); for ((i = 0; i < " + std::to_string(mib) +
         "; i++)); do printf '%s' \"$x\"; done; " + then;
}

}  // namespace

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

TEST_CASE("a job writing past the stream limit is killed there, not at its timeout") {
  // The limits themselves are in the conformance suite. 300 MiB: the job dies at 64 MiB, before
  // its `sleep` (the job's timeout is 60 s).
  require_docker_engine();
  for (std::string stream : {"stdout", "stderr"}) {
    const auto start = std::chrono::steady_clock::now();
    std::string error = sandbox_error([&] {
      run_bash("{ " + write_mib(300, "sleep 50") + "; }" + (stream == "stderr" ? " >&2" : ""));
    });
    INFO(error);
    CHECK(error.find("more than 64 MiB to " + stream) != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
  }
}

TEST_CASE("no file in a job container grows past what all outputs may have together") {
  // The output limits themselves are in the conformance suite; this is the container's
  // RLIMIT_FSIZE, which also bounds what a job writes that is no output.
  require_docker_engine();
  std::string error = sandbox_error([&] { run_bash("exec truncate -s 5G huge.o"); });
  CHECK(error.find("more than 4096 MiB (RLIMIT_FSIZE)") != std::string::npos);
}

TEST_CASE("a symlink in the inputs never gives a toolchain directory to the job") {
  // The helper (root) gives the job's user the directories of its inputs and cwd. Reached through
  // an input symlink, /work/esc is the toolchain's /usr/bin, which must stay root's.
  require_docker_engine();
  TestJob t(full_toolchain().id, "/work/esc",
            {"/bin/bash", "-c",
             "[ -O /usr/bin ] && echo owned; [ -O /work/new ] && echo new owned; "
             "echo x > /usr/bin/planted || echo cannot plant"});
  fs::create_directories(t.job.inputs_root / "work");
  fs::create_symlink("/usr/bin", t.job.inputs_root / "work/esc");
  t.job.outputs = {"/work/new/out.o"};  // /work/new is made for it, so it is the job's
  SandboxResult r = shared_sandbox()->run(t.job);
  INFO(r.stderr_data);
  CHECK(r.stdout_data == "new owned\ncannot plant\n");

  // A directory made through a symlink is the job's: /work/link -> /work/real, cwd /work/link/dir.
  TestJob made(full_toolchain().id, "/work/link/dir", {"/bin/bash", "-c", "echo made > out.o"});
  fs::create_directories(made.job.inputs_root / "work/real");
  fs::create_symlink("real", made.job.inputs_root / "work/link");
  made.job.outputs = {"out.o"};
  SandboxResult m = shared_sandbox()->run(made.job);
  CHECK(m.exit_code == 0);
  CHECK(m.collected == std::vector<std::string>{"/work/link/dir/out.o"});

  // A symlink to nowhere where a directory is needed, or a loop, is an error, not a directory.
  for (const char* target : {"/no/such/dir", "loop"}) {
    TestJob bad(full_toolchain().id, "/work/loop/dir", {"/bin/bash", "-c", "true"});
    fs::create_directories(bad.job.inputs_root / "work");
    fs::create_symlink(target, bad.job.inputs_root / "work/loop");
    CHECK(sandbox_error([&] {
            shared_sandbox()->run(bad.job);
          }).find("cannot create directory /work/loop") != std::string::npos);
  }
}
