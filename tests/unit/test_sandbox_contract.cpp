// The job contract every sandbox plugin enforces through the core's helpers: toolchain ids, job
// validation, and job paths that never climb out of the job's root.
#include <catch2/catch.hpp>

#include "sccache/sandbox.hpp"

#include "support/test_support.hpp"

using namespace sccache;

TEST_CASE("toolchain ids are lowercase hex SHA-256 digests") {
  const std::string good(64, 'a');
  CHECK(is_toolchain_id(good));
  CHECK(is_toolchain_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  CHECK_FALSE(is_toolchain_id(std::string(63, 'a')));
  CHECK_FALSE(is_toolchain_id(std::string(65, 'a')));
  CHECK_FALSE(is_toolchain_id(std::string(64, 'A')));
  CHECK_FALSE(is_toolchain_id("../" + std::string(61, 'a')));
  CHECK_NOTHROW(require_toolchain_id(good));
  CHECK_THROWS_WITH(require_toolchain_id("bad\nid"),
                    Catch::Contains("invalid toolchain id \"bad?id\""));
  CHECK_THROWS_AS(require_toolchain_id(std::string(500, 'x')), SandboxError);
}

TEST_CASE("job paths are absolute, normal, and stay inside the root") {
  CHECK(job_path("/src", "a.o") == "/src/a.o");
  CHECK(job_path("/src", "/out/a.o") == "/out/a.o");
  CHECK(job_path("/src/dir/", "./obj//a.o") == "/src/dir/obj/a.o");
  CHECK(job_path("/src", "../../../../etc/passwd") == "/etc/passwd");
  CHECK(job_path("/", "..") == "/");
  CHECK(job_path("/src", ".") == "/src");
  CHECK(job_path("/src", "obj/") == "/src/obj");
}

TEST_CASE("a job that breaks the contract is refused before it runs") {
  test::TempDir dir("sandbox-contract");
  SandboxJob job;
  job.executable = "/usr/bin/gcc";
  job.cwd = "/src";
  job.inputs_root = dir.path();
  job.outputs_root = dir / "out";
  CHECK_NOTHROW(validate_sandbox_job(job));

  auto refused = [](SandboxJob broken, const std::string& why) {
    INFO(why);
    CHECK_THROWS_WITH(validate_sandbox_job(broken), Catch::Contains(why));
  };
  SandboxJob relative_exe = job;
  relative_exe.executable = "gcc";
  refused(relative_exe, "the executable must be an absolute path");
  SandboxJob relative_cwd = job;
  relative_cwd.cwd = "src";
  refused(relative_cwd, "cwd must be an absolute path");
  SandboxJob nul_arg = job;
  nul_arg.arguments = {std::string("-c\0x", 4)};
  refused(nul_arg, "NUL byte");
  SandboxJob nul_env = job;
  nul_env.environment = {{"A", std::string("b\0", 2)}};
  refused(nul_env, "NUL byte");
  SandboxJob no_inputs = job;
  no_inputs.inputs_root = dir / "missing";
  refused(no_inputs, "is not a directory");
  SandboxJob no_outputs = job;
  no_outputs.outputs_root.clear();
  refused(no_outputs, "no outputs_root");
}
