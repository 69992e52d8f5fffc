// The docker sandbox under the conformance suite (tests/plugins/sandbox_conformance).
#include "plugins/sandbox_conformance/conformance.hpp"
#include "plugins/sandbox_docker/docker_fixture.hpp"

namespace sccache::test::conformance {

namespace {

class DockerUnderTest : public FixtureUnderTest<docker::TestSandbox> {
 public:
  using FixtureUnderTest::FixtureUnderTest;

  size_t stored_toolchains() const override { return fixture().engine().images().size(); }
  // A used container is removed in the background; what may stay is the warm pool.
  bool finished_jobs_cleaned_up() const override {
    const auto& engine = fixture().engine();
    const unsigned pool_size = fixture().config().pool_size;
    return wait_until(
        [&] { return engine.containers().size() <= pool_size * engine.images().size(); },
        std::chrono::seconds(20));
  }
  // The container's helper reports the job's wait status itself.
  bool tells_high_exit_codes_from_signals() const override { return true; }
};

}  // namespace

void require_backend() {
  docker::require_docker_engine();
}

SandboxUnderTest& shared() {
  static DockerUnderTest sandbox(docker::shared_sandbox());
  return sandbox;
}

std::unique_ptr<SandboxUnderTest> fresh() {
  auto sandbox = std::make_unique<docker::TestSandbox>();
  (*sandbox)->check_ready();
  return std::make_unique<DockerUnderTest>(std::move(sandbox));
}

}  // namespace sccache::test::conformance
