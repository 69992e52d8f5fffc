// Engine answers a real engine does not give on demand (malformed, or failing), through
// EngineProxy: the sandbox must turn them into SandboxError or a logged warning, never into a
// crash, an exception of another type or a toolchain that hangs for good.
#include <catch2/catch.hpp>

#include "plugins/sandbox_docker/docker_fixture.hpp"
#include "plugins/sandbox_docker/engine_proxy.hpp"

using namespace sccache;
using namespace sccache::test;
using namespace sccache::test::docker;
namespace fs = std::filesystem;

namespace {

// A proxy in front of the engine the tests use, and the [builder] line that points at it.
struct ProxiedEngine {
  TempDir dir{"sccache-docker-proxy"};
  EngineProxy proxy{sandbox_docker::default_docker_socket(), dir / "docker.sock"};
  std::string toml() const { return "docker_socket = \"" + proxy.socket().string() + "\"\n"; }
};

const std::string k_api = "/v" + std::string(sandbox_docker::k_api_version);

}  // namespace

TEST_CASE("a malformed answer to starting a container fails that job, not the server") {
  require_docker_engine();
  ProxiedEngine engine;
  TestSandbox sandbox(engine.toml() + "pool_size = 1\n");
  sandbox->check_ready();
  // "Created", but without the container's id.
  engine.proxy.answer("POST " + k_api + "/containers/create", 201, "{\"Warnings\":[]}");
  const auto& tc = small_toolchain();
  sandbox->prepare_toolchain(tc.id, tc.archive);
  // The pool's worker meets it first, in the background.
  REQUIRE(wait_until([&] { return engine.proxy.answered() >= 1; }, std::chrono::seconds(20)));
  TestJob failing(tc.id, "/", {"/bin/bash", "-c", "echo hi"});
  CHECK(sandbox_error([&] { sandbox->run(failing.job); }).find("/containers/create") !=
        std::string::npos);

  engine.proxy.clear();
  TestJob working(tc.id, "/", {"/bin/bash", "-c", "echo hi"});
  CHECK(sandbox->run(working.job).stdout_data == "hi\n");
}

TEST_CASE("a malformed answer while evicting an image neither fails nor blocks the toolchains") {
  require_docker_engine();
  ProxiedEngine engine;
  TestSandbox sandbox(engine.toml() + "max_images = 1\npool_size = 0\n");
  sandbox->check_ready();
  const auto& archive = small_toolchain().archive;
  const std::string first(64, 'e'), second(64, 'f');
  sandbox->prepare_toolchain(first, archive);
  // Preparing `second` evicts `first`, whose containers are listed first: a list without ids.
  engine.proxy.answer("GET " + k_api + "/containers/json", 200, "[{}]");
  REQUIRE_NOTHROW(sandbox->prepare_toolchain(second, archive));
  CHECK(engine.proxy.answered() >= 1);
  CHECK(sandbox->has_toolchain(second));
  CHECK_FALSE(sandbox->has_toolchain(first));
  CHECK(sandbox.engine().images().size() == 1);  // the image of `first` went all the same

  engine.proxy.clear();
  TestJob job(second, "/", {"/bin/bash", "-c", "echo second"});
  CHECK(sandbox->run(job.job).stdout_data == "second\n");
  sandbox->prepare_toolchain(first, archive);  // neither waits for an import that never ends
  sandbox->evict_toolchain(second);
  CHECK(sandbox->has_toolchain(first));
  sandbox.reset();
  CHECK(sandbox.engine().images().empty());
}
