// The overlay sandbox under the conformance suite (tests/plugins/sandbox_conformance).
#include "sccache/deferred_removal.hpp"

#include "plugins/sandbox_bwrap/sandbox_fixture.hpp"
#include "plugins/sandbox_conformance/conformance.hpp"
#include "support/test_support.hpp"

namespace sccache::test::conformance {
namespace fs = std::filesystem;

namespace {

class OverlayUnderTest : public FixtureUnderTest<bwrap::TestSandbox> {
 public:
  using FixtureUnderTest::FixtureUnderTest;

  size_t stored_toolchains() const override {
    size_t count = 0;
    for (const auto& entry : fs::directory_iterator(fixture().build_dir() / "toolchains")) {
      count += entry.is_directory() ? 1 : 0;
    }
    return count;
  }
  // A used sandbox is torn down in the background (its unmount, then its directory), soon
  // after its job; what stays are the sandboxes made ahead for jobs to come, which never ran
  // one (no "job" file).
  bool finished_jobs_cleaned_up() const override {
    return wait_until(
        [&] {
          sccache::flush_deferred_removals();
          for (const auto& entry : fs::directory_iterator(fixture().build_dir() / "builds")) {
            if (!entry.is_directory() || fs::exists(entry.path() / "job")) {
              return false;
            }
          }
          return true;
        },
        std::chrono::seconds(10));
  }
  // bubblewrap reports a job killed by signal N as exit code 128 + N.
  bool tells_high_exit_codes_from_signals() const override { return false; }
};

}  // namespace

void require_backend() {
  bwrap::require_sandbox_environment();
}

SandboxUnderTest& shared() {
  static OverlayUnderTest sandbox(bwrap::shared_sandbox());
  return sandbox;
}

std::unique_ptr<SandboxUnderTest> fresh() {
  auto sandbox = std::make_unique<bwrap::TestSandbox>();
  (*sandbox)->check_ready();
  return std::make_unique<OverlayUnderTest>(std::move(sandbox));
}

}  // namespace sccache::test::conformance
