// Jobs that should work: files in and out, exit codes, signals, environment, a real gcc compile.
#include <future>
#include <signal.h>

#include <catch2/catch.hpp>

#include "sccache/deferred_removal.hpp"

#include "sandbox_fixture.hpp"

using namespace sccache;
using namespace sccache::test;
using namespace sccache::test::bwrap;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_directory()) {
      files.push_back(fs::relative(entry.path(), dir).string());
    }
  }
  return files;
}

// Job directories are removed in the background once a job is done; wait for that first.
bool builds_dir_empty() {
  sccache::flush_deferred_removals();
  return fs::is_empty(shared_sandbox().build_dir() / "builds");
}

}  // namespace

TEST_CASE("a job copies an input file to an output") {
  require_sandbox_environment();
  std::string payload;
  for (int i = 0; i < 70000; ++i) {
    payload += static_cast<char>(i * 7 % 256);
  }
  TestJob t(full_toolchain().id, "/work/dir",
            {"/bin/bash", "-c", "cat in.txt > out.txt && echo copied && echo to-stderr >&2"});
  t.add_input("/work/dir/in.txt", payload);
  t.job.outputs = {"out.txt", "/work/dir/never-written.o", "out.txt"};

  SandboxResult r = shared_sandbox()->run(t.job);
  CHECK(r.exit_code == 0);
  CHECK(r.term_signal == 0);
  CHECK(r.stdout_data == "copied\n");
  CHECK(r.stderr_data == "to-stderr\n");
  CHECK(r.collected == std::vector<std::string>{"/work/dir/out.txt"});
  CHECK(read_file(t.output("/work/dir/out.txt")) == payload);
  CHECK_FALSE(fs::exists(t.output("/work/dir/never-written.o")));
  CHECK(files_under(t.job.inputs_root) == std::vector<std::string>{"work/dir/in.txt"});
  CHECK(builds_dir_empty());
}

TEST_CASE("exit codes, signals and stderr are the job's result") {
  require_sandbox_environment();
  SandboxResult failed = run_bash("echo partial; echo 'it broke' >&2; exit 3");
  CHECK(failed.exit_code == 3);
  CHECK(failed.term_signal == 0);
  CHECK(failed.stdout_data == "partial\n");
  CHECK(failed.stderr_data == "it broke\n");

  SandboxResult crashed = run_bash("kill -SEGV $$");
  CHECK(crashed.exit_code == -1);
  CHECK(crashed.term_signal == SIGSEGV);

  // A compiler that fails on its own with exit 1 and says "bwrap: " later is still a result.
  SandboxResult one = run_bash("echo 'error: bwrap: not me' >&2; exit 1");
  CHECK(one.exit_code == 1);
  CHECK(builds_dir_empty());
}

TEST_CASE("the job sees only the environment it was given") {
  require_sandbox_environment();
  TestJob t(full_toolchain().id, "/work/dir",
            {"/bin/bash", "-c", "echo \"FOO=$FOO\"; export -p; pwd; echo \"$$\""});
  t.job.environment = {{"FOO", "bar baz"}, {"BAD=KEY", "x"}, {"", "empty"}};
  SandboxResult r = shared_sandbox()->run(t.job);
  REQUIRE(r.exit_code == 0);
  CHECK(r.stdout_data.find("FOO=bar baz\n") != std::string::npos);
  CHECK(r.stdout_data.find("BAD") == std::string::npos);
  CHECK(r.stdout_data.find("SCCACHE_TEST") == std::string::npos);  // set by ctest on the host
  CHECK(r.stdout_data.find("/work/dir\n") != std::string::npos);
}

TEST_CASE("gcc compiles in the sandbox exactly as on the host") {
  require_sandbox_environment();
  TempDir src("sccache-bwrap-gcc");
  fs::path cwd = src.path() / "project";
  const std::string code =
      "static int table[4] = {1, 2, 3, 5};\n"
      "int square(int x) { return x * x + table[x & 3]; }\n"
      "const char* greet(void) { return \"hello from the sandbox\"; }\n";
  write_file(cwd / "hello.c", code);
  std::vector<std::string> args = {"-O2", "-c", "hello.c", "-o", "hello.o"};
  std::vector<std::string> local_argv = {"gcc-12"};
  local_argv.insert(local_argv.end(), args.begin(), args.end());
  RunResult local = run(local_argv, {}, cwd);
  REQUIRE(local.exit_code == 0);

  std::vector<std::string> argv = {"/usr/bin/gcc-12"};
  argv.insert(argv.end(), args.begin(), args.end());
  TestJob t(full_toolchain().id, cwd.string(), argv);
  t.job.environment = {{"PATH", "/usr/bin:/bin"}, {"LANG", "C"}};
  t.add_input((cwd / "hello.c").string(), code);
  t.job.outputs = {"hello.o"};
  SandboxResult r = shared_sandbox()->run(t.job);
  INFO("gcc stderr: " << r.stderr_data);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.collected == std::vector<std::string>{(cwd / "hello.o").string()});
  std::string remote_object = read_file(t.output((cwd / "hello.o").string()));
  CHECK(remote_object.size() > 100);
  CHECK(remote_object == read_file(cwd / "hello.o"));
}

TEST_CASE("a compile error is a result, not a sandbox error") {
  require_sandbox_environment();
  TestJob t(full_toolchain().id, "/src", {"/usr/bin/gcc-12", "-c", "broken.c", "-o", "broken.o"});
  t.job.environment = {{"PATH", "/usr/bin:/bin"}, {"LANG", "C"}};
  t.add_input("/src/broken.c", "int f( { return }\n");
  t.job.outputs = {"broken.o"};
  SandboxResult r = shared_sandbox()->run(t.job);
  CHECK(r.exit_code == 1);
  CHECK(r.stderr_data.find("error") != std::string::npos);
  CHECK(r.collected.empty());
}

TEST_CASE("many jobs run at once, each with its own files") {
  require_sandbox_environment();
  constexpr int k_jobs = 8;
  std::vector<std::unique_ptr<TestJob>> jobs;
  for (int i = 0; i < k_jobs; ++i) {
    jobs.push_back(std::make_unique<TestJob>(
        full_toolchain().id, "/work",
        std::vector<std::string>{"/bin/bash", "-c", "sleep 0.3; cat in.txt in.txt > out.txt"}));
    jobs.back()->add_input("/work/in.txt", "job " + std::to_string(i) + "\n");
    jobs.back()->job.outputs = {"out.txt"};
  }
  std::vector<std::future<SandboxResult>> results;
  for (auto& t : jobs) {
    results.push_back(
        std::async(std::launch::async, [&job = t->job] { return shared_sandbox()->run(job); }));
  }
  for (int i = 0; i < k_jobs; ++i) {
    SandboxResult r = results[i].get();
    CHECK(r.exit_code == 0);
    std::string line = "job " + std::to_string(i) + "\n";
    CHECK(read_file(jobs[i]->output("/work/out.txt")) == line + line);
  }
  CHECK(builds_dir_empty());
}

TEST_CASE("paths with overlayfs separators work") {
  require_sandbox_environment();
  TestSandbox sandbox("", "build,with:odd\\chars");
  sandbox->check_ready();
  sandbox->prepare_toolchain(small_toolchain().id, small_toolchain().archive);
  TestJob t(small_toolchain().id, "/w", {"/bin/bash", "-c", "cat in.txt > out.txt"});
  t.job.inputs_root = t.dir.path() / "in,puts:x";
  t.add_input("/w/in.txt", "odd");
  t.job.outputs = {"out.txt"};
  SandboxResult r = sandbox->run(t.job);
  CHECK(r.exit_code == 0);
  CHECK(read_file(t.output("/w/out.txt")) == "odd");
}
