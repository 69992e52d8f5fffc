// Conformance: jobs that must work. Files in and out, exit codes and signals, the environment,
// a real gcc compile byte-identical to the host's, compile errors, many jobs at once.
#include <future>
#include <signal.h>

#include <catch2/catch.hpp>

#include "plugins/sandbox_conformance/conformance.hpp"

using namespace sccache;
using namespace sccache::test;
using namespace sccache::test::conformance;
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

}  // namespace

TEST_CASE("a job copies an input file to an output", "[conformance]") {
  require_backend();
  std::string payload;
  for (int i = 0; i < 300000; ++i) {
    payload += static_cast<char>(i * 7 % 256);
  }
  TestJob t(full_toolchain().id, "/work/dir",
            {"/bin/bash", "-c", "cat in.txt > out.txt && echo copied && echo to-stderr >&2"});
  t.add_input("/work/dir/in.txt", payload);
  // Duplicates, a never-written output and another spelling of the same path.
  t.job.outputs = {"out.txt", "/work/dir/never-written.o", "out.txt", "../dir/out.txt"};

  SandboxResult r = shared()->run(t.job);
  CHECK(r.exit_code == 0);
  CHECK(r.term_signal == 0);
  CHECK(r.stdout_data == "copied\n");
  CHECK(r.stderr_data == "to-stderr\n");
  CHECK(r.collected == std::vector<std::string>{"/work/dir/out.txt"});
  CHECK(read_file(t.output("/work/dir/out.txt")) == payload);
  CHECK_FALSE(fs::exists(t.output("/work/dir/never-written.o")));
  CHECK(files_under(t.job.inputs_root) == std::vector<std::string>{"work/dir/in.txt"});
  CHECK(shared().finished_jobs_cleaned_up());
}

TEST_CASE("exit codes, signals and stderr are the job's result", "[conformance]") {
  require_backend();
  SandboxResult failed = run_bash("echo partial; echo 'it broke' >&2; exit 3");
  CHECK(failed.exit_code == 3);
  CHECK(failed.term_signal == 0);
  CHECK(failed.stdout_data == "partial\n");
  CHECK(failed.stderr_data == "it broke\n");

  SandboxResult crashed = run_bash("kill -SEGV $$");
  CHECK(crashed.exit_code == -1);
  CHECK(crashed.term_signal == SIGSEGV);

  // 128 + N is an exit code, not a signal; or, where the two look alike, the signal.
  SandboxResult high = run_bash("exit 139");
  if (shared().tells_high_exit_codes_from_signals()) {
    CHECK(high.exit_code == 139);
    CHECK(high.term_signal == 0);
  } else {
    CHECK(high.exit_code == -1);
    CHECK(high.term_signal == SIGSEGV);
  }

  // A compiler failing with the exit codes a sandbox tool uses for its own failures, and with
  // words like theirs, still has a result.
  SandboxResult one = run_bash("echo 'error: bwrap: cannot execute: not me' >&2; exit 1");
  CHECK(one.exit_code == 1);
  SandboxResult missing = run_bash("echo 'cannot execute: not me' >&2; exit 127");
  CHECK(missing.exit_code == 127);
  CHECK(missing.stderr_data == "cannot execute: not me\n");
  CHECK(shared().finished_jobs_cleaned_up());
}

TEST_CASE("the job sees only the environment it was given, in its cwd", "[conformance]") {
  require_backend();
  TestJob t(full_toolchain().id, "/work/dir",
            {"/bin/bash", "-c", "echo \"FOO=$FOO\"; export -p; pwd; echo \"umask $(umask)\""});
  t.job.environment = {{"FOO", "bar baz"}, {"BAD=KEY", "x"}, {"", "empty"}, {"PATH", "/usr/bin"}};
  SandboxResult r = shared()->run(t.job);
  REQUIRE(r.exit_code == 0);
  INFO(r.stdout_data);
  CHECK(r.stdout_data.find("FOO=bar baz\n") != std::string::npos);
  CHECK(r.stdout_data.find("BAD") == std::string::npos);
  CHECK(r.stdout_data.find("SCCACHE_TEST") == std::string::npos);  // set by ctest on the host
  CHECK(r.stdout_data.find("HOSTNAME") == std::string::npos);      // nor a runtime's defaults
  CHECK(r.stdout_data.find("HOME") == std::string::npos);
  CHECK(r.stdout_data.find("/work/dir\n") != std::string::npos);
  CHECK(r.stdout_data.find("umask 0022") != std::string::npos);
}

TEST_CASE("gcc compiles in the sandbox exactly as on the host", "[conformance]") {
  require_backend();
  TempDir src("sccache-sandbox-gcc");
  fs::path cwd = src.path() / "project";
  const std::string code =
      "#include \"table.h\"\n"
      "int square(int x) { return x * x + table[x & 3]; }\n"
      "const char* greet(void) { return \"hello from the sandbox\"; }\n";
  write_file(cwd / "hello.c", code);
  write_file(cwd / "include/table.h", "static int table[4] = {1, 2, 3, 5};\n");
  std::vector<std::string> args = {"-O2", "-g",      "-Iinclude", "-MD",
                                   "-c",  "hello.c", "-o",        "obj/hello.o"};
  fs::create_directories(cwd / "obj");
  std::vector<std::string> local_argv = {"gcc-12"};
  local_argv.insert(local_argv.end(), args.begin(), args.end());
  RunResult local = run(local_argv, {}, cwd);
  REQUIRE(local.exit_code == 0);

  std::vector<std::string> argv = {"/usr/bin/gcc-12"};
  argv.insert(argv.end(), args.begin(), args.end());
  TestJob t(full_toolchain().id, cwd.string(), argv);
  t.job.environment = {{"PATH", "/usr/bin:/bin"}, {"LANG", "C"}, {"TMPDIR", "/tmp"}};
  t.add_input((cwd / "hello.c").string(), code);
  t.add_input((cwd / "include/table.h").string(), read_file(cwd / "include/table.h"));
  t.job.outputs = {"obj/hello.o", "obj/hello.d"};
  SandboxResult r = shared()->run(t.job);
  INFO("gcc stderr: " << r.stderr_data);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.collected ==
          std::vector<std::string>{(cwd / "obj/hello.o").string(), (cwd / "obj/hello.d").string()});
  std::string remote_object = read_file(t.output((cwd / "obj/hello.o").string()));
  CHECK(remote_object.size() > 100);
  CHECK(remote_object == read_file(cwd / "obj/hello.o"));
  CHECK(read_file(t.output((cwd / "obj/hello.d").string())) == read_file(cwd / "obj/hello.d"));
}

TEST_CASE("a compile error is a result, not a sandbox error", "[conformance]") {
  require_backend();
  TestJob t(full_toolchain().id, "/src", {"/usr/bin/gcc-12", "-c", "broken.c", "-o", "broken.o"});
  t.job.environment = {{"PATH", "/usr/bin:/bin"}, {"LANG", "C"}};
  t.add_input("/src/broken.c", "int f( { return }\n");
  t.job.outputs = {"broken.o"};
  SandboxResult r = shared()->run(t.job);
  CHECK(r.exit_code == 1);
  CHECK(r.stderr_data.find("broken.c:1:") != std::string::npos);
  CHECK(r.collected.empty());
}

TEST_CASE("many jobs run at once, each with its own files", "[conformance]") {
  require_backend();
  constexpr int k_jobs = 6;
  std::vector<std::unique_ptr<TestJob>> jobs;
  for (int i = 0; i < k_jobs; ++i) {
    jobs.push_back(std::make_unique<TestJob>(
        full_toolchain().id, "/work",
        std::vector<std::string>{"/bin/bash", "-c",
                                 "sleep 0.3; cat in.txt in.txt > out.txt; ls /work"}));
    jobs.back()->add_input("/work/in.txt", "job " + std::to_string(i) + "\n");
    jobs.back()->job.outputs = {"out.txt"};
  }
  std::vector<std::future<SandboxResult>> results;
  for (auto& t : jobs) {
    results.push_back(
        std::async(std::launch::async, [&job = t->job] { return shared()->run(job); }));
  }
  for (int i = 0; i < k_jobs; ++i) {
    SandboxResult r = results[i].get();
    CHECK(r.exit_code == 0);
    CHECK(r.stdout_data == "in.txt\nout.txt\n");
    std::string line = "job " + std::to_string(i) + "\n";
    CHECK(read_file(jobs[i]->output("/work/out.txt")) == line + line);
  }
  CHECK(shared().finished_jobs_cleaned_up());
}

TEST_CASE("timeouts and jobs that cannot start are sandbox errors", "[conformance]") {
  require_backend();
  TestJob slow(full_toolchain().id, "/work", {"/bin/sleep", "30"});
  slow.job.timeout = std::chrono::seconds(1);
  auto start = std::chrono::steady_clock::now();
  std::string error = sandbox_error([&] { shared()->run(slow.job); });
  CHECK(error.find("did not finish within 1 s") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));

  TestJob missing(full_toolchain().id, "/work", {"/no/such/compiler", "-c", "x.c"});
  error = sandbox_error([&] { shared()->run(missing.job); });
  CHECK(error.find("/no/such/compiler") != std::string::npos);

  TestJob relative(full_toolchain().id, "/work", {"bin/bash", "-c", "true"});
  CHECK(sandbox_error([&] { shared()->run(relative.job); }).find("absolute") != std::string::npos);
  TestJob relative_cwd(full_toolchain().id, "work", {"/bin/bash", "-c", "true"});
  CHECK(sandbox_error([&] { shared()->run(relative_cwd.job); }).find("cwd") != std::string::npos);
  CHECK(shared().finished_jobs_cleaned_up());
}

TEST_CASE("a job's streams and outputs are bounded; past a limit it is a sandbox error",
          "[conformance]") {
  require_backend();
  // stdout and stderr: k_max_job_stream_bytes each; exactly that much is fine.
  static_assert(k_max_job_stream_bytes == uint64_t{64} << 20);
  auto write_mib = [](int mib) {
    return "x=$(printf '%1048576s' ''); for ((i = 0; i < " + std::to_string(mib) +
           "; ++i)); do printf '%s' \"$x\"; done";
  };
  SandboxResult at_limit = run_bash(write_mib(64) + "; echo the end >&2");
  CHECK(at_limit.exit_code == 0);
  CHECK(at_limit.stdout_data.size() == k_max_job_stream_bytes);
  CHECK(at_limit.stderr_data == "the end\n");
  CHECK(sandbox_error([&] { run_bash(write_mib(65)); }).find("to stdout") != std::string::npos);
  CHECK(sandbox_error([&] { run_bash("{ " + write_mib(65) + "; } >&2"); }).find("to stderr") !=
        std::string::npos);

  // One output over k_max_job_output_file_bytes, or all of them over k_max_job_outputs_bytes
  // (sparse files: cheap to make, but they would become real blocks on the build server).
  static_assert(k_max_job_output_file_bytes == uint64_t{1} << 30);
  static_assert(k_max_job_outputs_bytes == uint64_t{4} << 30);
  std::string too_big = sandbox_error([&] {
    run_bash("truncate -s 1025M big.o && truncate -s 1M fine.o", {"fine.o", "big.o"});
  });
  CHECK(too_big.find("big.o") != std::string::npos);
  // Each within the limit for one file, together over it: refused before anything is copied.
  TestJob parts(full_toolchain().id, "/work",
                {"/bin/bash", "-c", "for i in 1 2 3 4 5; do truncate -s 1000M part$i.o; done"});
  parts.job.outputs = {"part1.o", "part2.o", "part3.o", "part4.o", "part5.o"};
  CHECK(sandbox_error([&] { shared()->run(parts.job); }) != "(no SandboxError)");
  CHECK(fs::is_empty(parts.job.outputs_root));
  SandboxResult within = run_bash("truncate -s 10M sparse.o", {"sparse.o"});
  CHECK(within.collected == std::vector<std::string>{"/work/dir/sparse.o"});
  CHECK(shared().finished_jobs_cleaned_up());
}
