// Overlay-specific: build_dir and input paths holding the characters that separate overlayfs
// mount options. What every sandbox must do is in the conformance suite.
#include <catch2/catch.hpp>

#include "plugins/sandbox_bwrap/sandbox_fixture.hpp"

using namespace sccache;
using namespace sccache::test;
using namespace sccache::test::bwrap;

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
