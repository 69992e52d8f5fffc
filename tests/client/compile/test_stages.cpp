// The client's compile pipeline, one stage at a time and whole, without a cluster: every input
// comes from the request (its cwd, environment and terminal), never from this process.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "client/compile/deliver.hpp"
#include "client/compile/execute.hpp"
#include "client/compile/pipeline.hpp"
#include "client/compile/plan.hpp"
#include "client/compile/preprocess.hpp"
#include "client/compile/remote_job.hpp"
#include "client/compile/stage_fixture.hpp"
#include "client/fallback_reason.hpp"
#include "support/test_support.hpp"

using namespace sccache;
using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

const std::vector<fs::path> k_self = {"/nonexistent/sccache"};

std::vector<std::string> env_with(std::vector<std::string> extra) {
  extra.push_back("PATH=/usr/bin:/bin");
  return extra;
}

// A local compile of `args` in `dir`: what every remote result must equal byte for byte.
std::string local_object(const fs::path& dir, std::vector<std::string> args, const fs::path& out) {
  std::vector<std::string> argv = {"/usr/bin/gcc"};
  argv.insert(argv.end(), args.begin(), args.end());
  REQUIRE(run(argv, {}, dir).exit_code == 0);
  return read_file(out);
}

}  // namespace

TEST_CASE("plan: the compiler is found through the request's PATH, never this program") {
  TempDir dir("sccache-plan");
  fs::create_directories(dir / "bin");
  fs::create_symlink("/usr/bin/gcc", dir / "bin/mycc");
  fs::create_symlink(k_self[0], dir / "bin/gcc");  // a masquerading symlink to ourselves
  const ClientConfig config = stage_config(dir.path());
  const std::string path = "PATH=" + (dir / "bin").string() + ":/usr/bin";

  PlannedCompile mycc =
      plan_compile(request_in(dir.path(), {"mycc", "-c", "a.c"}, env_with({path})), config, k_self);
  CHECK(mycc.compiler == dir / "bin/mycc");
  CHECK(mycc.argv[0] == (dir / "bin/mycc").string());
  // The symlink named gcc leads to sccache itself: skipped, /usr/bin/gcc found after it.
  PlannedCompile gcc = plan_compile(request_in(dir.path(), {"gcc", "-c", "a.c"}, {{path}}), config,
                                    {fs::weakly_canonical(dir / "bin/gcc")});
  CHECK(gcc.compiler == "/usr/bin/gcc");
  // A relative path is relative to the request's cwd, not this process's.
  PlannedCompile relative =
      plan_compile(request_in(dir.path(), {"bin/mycc", "-c", "a.c"}, env_with({})), config, k_self);
  CHECK(relative.compiler == dir / "bin/mycc");
  // Not found: no compiler, and the whole compile says so with exit code 127.
  CompileRequest missing = request_in(dir.path(), {"no-such-cc", "-c", "a.c"}, env_with({}));
  CHECK(plan_compile(missing, config, k_self).compiler.empty());
  ClientContext context(config, k_self);
  CompileReply reply = run_compile(missing, context);
  CHECK(reply.kind == CompileReply::Kind::compiled);
  CHECK(reply.exit_code == 127);
  CHECK(reply.stderr_data.find("cannot find compiler 'no-such-cc'") != std::string::npos);
}

TEST_CASE("plan: what stays local, by name, from the request alone") {
  TempDir dir("sccache-plan");
  ClientConfig config = stage_config(dir.path());
  auto reason = [&](std::vector<std::string> argv, std::vector<std::string> env) {
    PlannedCompile planned =
        plan_compile(request_in(dir.path(), argv, env_with(env)), config, k_self);
    return planned.distributable ? std::string("distributed") : planned.local_reason;
  };
  CHECK(reason({"gcc", "-c", "a.c", "-o", "a.o"}, {}) == "distributed");
  CHECK(reason({"gcc", "a.o", "-o", "app"}, {}) == "not_compile");
  CHECK(reason({"gcc", "-c", "a.c"}, {"DEPENDENCIES_OUTPUT=a.d"}) == "dependencies_env");
  CHECK(reason({"gcc", "-c", "a.c"}, {"SUNPRO_DEPENDENCIES=a.d"}) == "dependencies_env");
  config.scheduler.reset();
  CHECK(reason({"gcc", "-c", "a.c"}, {}) == "dist_disabled");
  // Without a cluster the command is still understood (and so cacheable).
  CHECK(plan_compile(request_in(dir.path(), {"gcc", "-c", "a.c"}, env_with({})), config, k_self)
            .plan.has_value());
}

TEST_CASE("preprocess: runs in the request's cwd with the request's environment") {
  TempDir dir("sccache-preprocess");
  write_file(dir / "a.c", "#include \"hidden.h\"\nint f(void) { return HIDDEN; }\n");
  write_file(dir / "inc/hidden.h", "#define HIDDEN 42\n#warning from the header\n");
  const ClientConfig config = stage_config(dir.path());
  // CPATH in the request (not in this process) is what finds the header.
  CompileRequest request = request_in(dir.path(), {"gcc", "-c", "a.c", "-MD", "-o", "a.o"},
                                      env_with({"CPATH=" + (dir / "inc").string()}));
  PlannedCompile planned = plan_compile(request, config, k_self);
  REQUIRE(planned.plan);
  PreprocessedUnit unit = preprocess(planned, request);
  CHECK(unit.exit_code == 0);
  CHECK(unit.text.find("hidden.h") != std::string::npos);
  CHECK(unit.diagnostics.find("from the header") != std::string::npos);
  CHECK(unit.job_path == dir / "a.c.sccache.i");
  CHECK(fs::exists(dir / "a.d"));  // the depfile, written by the local preprocessing

  PreprocessedUnit failing =
      preprocess(planned, request_in(dir.path(), request.argv, env_with({})));
  CHECK(failing.exit_code != 0);
  CHECK(failing.diagnostics.find("hidden.h") != std::string::npos);
}

TEST_CASE("remote job: environment, colours, outputs and inputs come from the request") {
  TempDir dir("sccache-job");
  write_file(dir / "a.c", "#include \"local.h\"\nint g;\n");
  write_file(dir / "local.h", "int h;\n");
  const ClientConfig config = stage_config(dir.path());
  CompileRequest request = request_in(dir.path(), {"gcc", "-c", "a.c", "-o", "out/a.o"},
                                      env_with({"LANG=C.UTF-8", "GCC_COLORS=error=01;31"}));
  request.stderr_is_tty = true;
  PlannedCompile planned = plan_compile(request, config, k_self);
  REQUIRE(planned.plan);
  PreprocessedUnit unit = preprocess(planned, request);
  REQUIRE(unit.exit_code == 0);
  toolchain::Toolchain toolchain{std::string(64, 'a'), dir / "tc.tar", 1, "/usr/bin/gcc", false};
  RemoteJob job = make_remote_job(planned, unit.job_path, unit.text, toolchain, request);
  CHECK(job.command.cwd == dir.path().string());
  CHECK(job.command.outputs == std::vector<std::string>{(dir / "out/a.o").string()});
  CHECK(std::find(job.command.arguments.begin(), job.command.arguments.end(),
                  "-fdiagnostics-color=always") != job.command.arguments.end());
  const auto& env = job.command.environment;
  CHECK(std::find(env.begin(), env.end(),
                  std::pair<std::string, std::string>{"LC_ALL", "C.UTF-8"}) != env.end());
  CHECK(std::find(env.begin(), env.end(),
                  std::pair<std::string, std::string>{"GCC_COLORS", "error=01;31"}) != env.end());
  std::vector<std::string> names;
  for (const auto& input : job.inputs) {
    names.push_back(input.name);
  }
  CHECK(std::find(names.begin(), names.end(), (dir / "local.h").string()) != names.end());
  CHECK(names.back() == unit.job_path.string());

  // No terminal: no forced colours. The locale follows LC_ALL over LANG, and one that is not
  // installed is "C", as it would be for the compiler.
  request.stderr_is_tty = false;
  request.environment = env_with({"LANG=C.UTF-8", "LC_ALL=C"});
  RemoteJob plain = make_remote_job(planned, unit.job_path, unit.text, toolchain, request);
  CHECK(std::find(plain.command.arguments.begin(), plain.command.arguments.end(),
                  "-fdiagnostics-color=always") == plain.command.arguments.end());
  CHECK(remote_environment(request).at(0).second == "C");
  request.environment = env_with({"LANG=xx_NOWHERE.UTF-8"});
  CHECK(remote_environment(request).at(0).second == "C");
  request.environment = env_with({"LC_CTYPE=C.UTF-8"});
  CHECK(remote_environment(request).at(0).second == "C.UTF-8");
}

TEST_CASE("execute: a full cluster sends the job to a free local CPU, else it queues") {
  TempDir dir("sccache-execute");
  RemoteJob job;
  auto full_first = [](int call) {
    if (call == 0) {
      throw DistFailure(FallbackReason::no_capacity, "all busy");
    }
  };
  {
    LocalCluster cluster(full_first);
    TempDir slots("sccache-slots");
    Execution execution = execute_remote(
        cluster, job, dir.path(), [&] { return LocalSlot::try_acquire(slots.path(), 1); },
        std::chrono::seconds(60));
    CHECK_FALSE(execution.outcome);
    CHECK(execution.local_slot);
    CHECK(cluster.calls() == 1);
  }
  {
    LocalCluster cluster(full_first);
    Execution execution = execute_remote(
        cluster, job, dir.path(), [] { return std::optional<LocalSlot>(); },
        std::chrono::seconds(60));
    CHECK(execution.outcome);
    REQUIRE(cluster.calls() == 2);
    CHECK(cluster.waits()[0] == std::chrono::milliseconds(0));
    CHECK(cluster.waits()[1] == std::chrono::seconds(60));
  }
  {
    LocalCluster cluster(
        [](int) { throw DistFailure(FallbackReason::server_unreachable, "gone"); });
    CHECK_THROWS_AS(
        execute_remote(
            cluster, job, dir.path(), [] { return std::nullopt; }, std::chrono::seconds(60)),
        DistFailure);
    CHECK(cluster.calls() == k_max_remote_attempts);
  }
}

TEST_CASE("execute: a failure worth retrying goes to another attempt, without its outputs") {
  TempDir dir("sccache-execute");
  RemoteJob job;
  auto none = [] { return std::optional<LocalSlot>(); };
  {
    // The first server goes away mid-job, after writing part of an output.
    LocalCluster cluster([&](int call) {
      if (call == 0) {
        write_file(dir / "partial.o", "half an object");
        throw DistFailure(FallbackReason::server_unreachable, "connection reset");
      }
    });
    Execution execution = execute_remote(cluster, job, dir.path(), none, std::chrono::seconds(1));
    CHECK(execution.outcome);
    CHECK(cluster.calls() == 2);
    CHECK_FALSE(fs::exists(dir / "partial.o"));
  }
  {
    // Every attempt fails: the budget ends it, with the last attempt's reason.
    LocalCluster cluster([](int call) {
      throw DistFailure(call < 2 ? FallbackReason::sandbox_error : FallbackReason::remote_crash,
                        "failed");
    });
    try {
      execute_remote(cluster, job, dir.path(), none, std::chrono::seconds(1));
      FAIL("no failure");
    } catch (const DistFailure& failure) {
      CHECK(failure.reason() == FallbackReason::remote_crash);
    }
    CHECK(cluster.calls() == k_max_remote_attempts);
  }
  {
    // Not the server's fault: retrying elsewhere would not help.
    LocalCluster cluster([](int) { throw DistFailure(FallbackReason::auth_refused, "no"); });
    CHECK_THROWS_AS(execute_remote(cluster, job, dir.path(), none, std::chrono::seconds(1)),
                    DistFailure);
    CHECK(cluster.calls() == 1);
  }
}

TEST_CASE("deliver: outputs land at their paths, diagnostics in order, the exit code kept") {
  TempDir dir("sccache-deliver");
  TempDir outputs("sccache-outputs");
  const ClientConfig config = stage_config(dir.path());
  CompileRequest request =
      request_in(dir.path(), {"gcc", "-c", "a.c", "-o", "sub/a.o"}, env_with({}));
  PlannedCompile planned = plan_compile(request, config, k_self);
  REQUIRE(planned.plan);
  fs::create_directories(dir / "sub");
  write_file(outputs.path() / (dir / "sub/a.o").relative_path(), "OBJECT");
  RemoteOutcome outcome;
  outcome.server_id = "s:1";
  outcome.outputs_root = outputs.path();
  outcome.result.exit_code = 0;
  outcome.result.stderr_data = "remote warning\n";
  outcome.result.stdout_data = "out\n";
  CompileReply reply = deliver(planned, "cpp warning\n", std::move(outcome), request);
  CHECK(reply.kind == CompileReply::Kind::compiled);
  CHECK(reply.exit_code == 0);
  CHECK(reply.stderr_data == "cpp warning\nremote warning\n");
  CHECK(reply.stdout_data == "out\n");
  CHECK(reply.outputs == std::vector<fs::path>{dir / "sub/a.o"});
  CHECK(read_file(dir / "sub/a.o") == "OBJECT");

  // A compile that failed wrote nothing: nothing is installed, the exit code comes back.
  RemoteOutcome failed;
  failed.outputs_root = outputs.path();
  failed.result.exit_code = 1;
  CompileReply error = deliver(planned, "", std::move(failed), request);
  CHECK(error.exit_code == 1);
  CHECK(error.outputs.empty());
}

TEST_CASE("the whole pipeline: a remote result byte-identical to a local compile, and fallbacks") {
  TempDir dir("sccache-pipeline");
  write_file(dir / "a.c",
             "#include \"a.h\"\nint twice(int x) { return TWICE(x); }\nint unused(int y) {}\n");
  write_file(dir / "a.h", "#define TWICE(x) ((x) * 2)\n");
  const std::vector<std::string> args = {"-c", "a.c", "-O2", "-Wall", "-MD", "-o", "a.o"};
  const std::string expected = local_object(dir.path(), args, dir / "a.o");
  const std::string expected_depfile = read_file(dir / "a.d");
  fs::remove(dir / "a.o");
  fs::remove(dir / "a.d");

  ClientContext context(stage_config(dir.path()), k_self);
  auto cluster = std::make_unique<LocalCluster>();
  LocalCluster* seen = cluster.get();
  context.set_cluster(std::move(cluster));
  std::vector<std::string> argv = {"gcc"};
  argv.insert(argv.end(), args.begin(), args.end());
  CompileReply reply = run_compile(request_in(dir.path(), argv, env_with({})), context);
  REQUIRE(reply.kind == CompileReply::Kind::compiled);
  CHECK(seen->calls() == 1);
  CHECK(reply.exit_code == 0);
  CHECK(reply.stderr_data.find("-Wreturn-type") != std::string::npos);  // the remote warning
  CHECK(read_file(dir / "a.o") == expected);
  CHECK(read_file(dir / "a.d") == expected_depfile);
  ClientStats stats = context.stats().snapshot();
  CHECK(stats.remote_compiles == 1);
  CHECK(stats.remote_by_server["127.0.0.1:10501"] == 1);

  // A cluster that cannot help: the reply asks for a local compile, with the reason and a
  // one-line warning; counting it records the fallback.
  context.set_cluster(std::make_unique<LocalCluster>(
      [](int) { throw DistFailure(FallbackReason::server_unreachable, "connection refused"); }));
  CompileReply fallback = run_compile(request_in(dir.path(), argv, env_with({})), context);
  REQUIRE(fallback.kind == CompileReply::Kind::run_locally);
  CHECK(fallback.reason == "server_unreachable");
  CHECK(fallback.cause == CompileReply::LocalCause::fallback);
  CHECK(fallback.warning.find("compiling locally: server_unreachable (connection refused)") !=
        std::string::npos);
  CHECK(fallback.executable == "/usr/bin/gcc");
  CHECK(fallback.argv[0] == "/usr/bin/gcc");
  count_local_compile(context.stats(), fallback);
  count_local_time(context.stats(), 5);
  stats = context.stats().snapshot();
  CHECK(stats.local_fallbacks["server_unreachable"] == 1);
  CHECK(stats.local_time_ms == 5);

  // Code that does not preprocess is the compiler's to report: local, no cluster call.
  write_file(dir / "bad.c", "#include \"missing.h\"\n");
  CompileReply bad =
      run_compile(request_in(dir.path(), {"gcc", "-c", "bad.c"}, env_with({})), context);
  CHECK(bad.kind == CompileReply::Kind::run_locally);
  CHECK(bad.reason == "preprocessor_error");
  CHECK(bad.cause == CompileReply::LocalCause::not_distributable);
}
