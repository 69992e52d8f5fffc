// Readiness, leftovers of an earlier run, toolchain images (import, LRU cap, eviction), the warm
// pool, shutdown, and infrastructure errors.
#include <future>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "plugins/sandbox_docker/docker_fixture.hpp"
#include "sandbox-docker/embedded_helper.hpp"
#include "sandbox-docker/image_tar.hpp"

using namespace sccache;
using namespace sccache::test;
using namespace sccache::test::docker;
namespace fs = std::filesystem;

namespace {

std::string fake_id(char c) {
  return std::string(64, c);
}

}  // namespace

TEST_CASE("check_ready explains an engine it cannot reach") {
  require_docker_engine();
  TestSandbox missing("docker_socket = \"/nonexistent/docker.sock\"\n");
  std::string error = sandbox_error([&] { missing->check_ready(); });
  CHECK(error.find("/nonexistent/docker.sock") != std::string::npos);
  CHECK(error.find("docker_socket") != std::string::npos);
  CHECK(error.find("start dockerd") != std::string::npos);
  CHECK(missing->describe() == "docker");
}

TEST_CASE("a new start removes what an earlier run left, and a clean stop leaves nothing") {
  require_docker_engine();
  TestSandbox earlier("pool_size = 1\n");
  // What a killed server leaves: an image and a running job container with its owner label.
  std::string image = earlier.engine().import_image("leftover", "leftover", [&](std::ostream& out) {
    sandbox_docker::write_image_tar(small_toolchain().archive, {sandbox_docker::embedded_helper()},
                                    out);
  });
  sandbox_docker::WarmContainer container = earlier.engine().launch_container(image, "leftover");
  REQUIRE(earlier.running_containers() == 1);
  REQUIRE(earlier.engine().images().size() == 1);

  // Another server (another config file) on the same engine is left alone.
  TestSandbox other;
  other->check_ready();
  CHECK(earlier.running_containers() == 1);

  // The same server (same config file) starting again removes them.
  TestSandbox again("pool_size = 1\n", earlier.config_file());
  again->check_ready();
  CHECK(again.engine().containers().empty());
  CHECK(again.engine().images().empty());
  CHECK(again->describe().rfind("docker ", 0) == 0);
  CHECK(again->describe().find("API 1.") != std::string::npos);

  again->prepare_toolchain(small_toolchain().id, small_toolchain().archive);
  CHECK(again.engine().images().size() == 1);
  CHECK(wait_until([&] { return again.running_containers(small_toolchain().id) == 1; },
                   std::chrono::seconds(20)));
  again.reset();  // the server stops
  CHECK(again.engine().containers().empty());
  CHECK(again.engine().images().empty());
}

TEST_CASE("servers with one config path but their own owners share an engine untouched") {
  // Two build servers in containers that share the host's engine, both reading
  // /etc/sccache-dist/server.conf: each start and each stop sweeps only its own owner's things.
  require_docker_engine();
  TempDir dir("sccache-docker-owners");
  const fs::path file = dir / "server.conf";
  const auto& tc = small_toolchain();
  TestSandbox a("owner = \"test-server-a\"\npool_size = 1\n", file);
  a->check_ready();
  a->prepare_toolchain(tc.id, tc.archive);
  REQUIRE(wait_until([&] { return a.running_containers(tc.id) == 1; }, std::chrono::seconds(20)));

  TestSandbox b("owner = \"test-server-b\"\npool_size = 1\n", file);
  b->check_ready();
  b->prepare_toolchain(tc.id, tc.archive);
  CHECK(a.running_containers(tc.id) == 1);
  CHECK(a.engine().images().size() == 1);
  TestJob first(tc.id, "/", {"/bin/bash", "-c", "echo a"});
  CHECK(a->run(first.job).stdout_data == "a\n");

  b.reset();  // b stops: it removes its images and containers, and only those
  CHECK(a.engine().images().size() == 1);
  TestJob second(tc.id, "/", {"/bin/bash", "-c", "echo a again"});
  CHECK(a->run(second.job).stdout_data == "a again\n");
}

TEST_CASE("a toolchain whose image was removed behind the server's back is imported again") {
  require_docker_engine();
  TestSandbox sandbox("pool_size = 1\n");
  sandbox->check_ready();
  const auto& tc = small_toolchain();
  sandbox->prepare_toolchain(tc.id, tc.archive);
  REQUIRE(
      wait_until([&] { return sandbox.running_containers(tc.id) == 1; }, std::chrono::seconds(20)));
  // What another server with the same owner does when it starts.
  for (const auto& id : sandbox.engine().containers()) {
    sandbox.engine().remove_container(id);
  }
  for (const auto& id : sandbox.engine().images()) {
    sandbox.engine().remove_image(id);
  }

  // That job fails (the client compiles it locally); the toolchain is no longer there, so the
  // build server's prepare_toolchain before the next job imports it again.
  TestJob lost(tc.id, "/", {"/bin/bash", "-c", "echo back"});
  std::string error = sandbox_error([&] { sandbox->run(lost.job); });
  CHECK(error.find("No such image") != std::string::npos);
  CHECK_FALSE(sandbox->has_toolchain(tc.id));
  sandbox->prepare_toolchain(tc.id, tc.archive);
  CHECK(sandbox->has_toolchain(tc.id));
  TestJob back(tc.id, "/", {"/bin/bash", "-c", "echo back"});
  CHECK(sandbox->run(back.job).stdout_data == "back\n");
}

TEST_CASE("one image per toolchain, at most max_images, least recently used evicted first") {
  require_docker_engine();
  TestSandbox sandbox("max_images = 2\npool_size = 0\n");
  sandbox->check_ready();
  const auto& archive = small_toolchain().archive;
  sandbox->prepare_toolchain(fake_id('a'), archive);
  sandbox->prepare_toolchain(fake_id('b'), archive);
  sandbox->prepare_toolchain(fake_id('a'), archive);  // already there: nothing imported
  CHECK(sandbox.engine().images().size() == 2);
  TestJob touch(fake_id('a'), "/", {"/bin/bash", "-c", "echo a"});
  CHECK(sandbox->run(touch.job).stdout_data == "a\n");  // a is now the most recently used

  sandbox->prepare_toolchain(fake_id('c'), archive);
  CHECK(sandbox->has_toolchain(fake_id('a')));
  CHECK_FALSE(sandbox->has_toolchain(fake_id('b')));
  CHECK(sandbox->has_toolchain(fake_id('c')));
  CHECK(sandbox.engine().images().size() == 2);
  TestJob gone(fake_id('b'), "/", {"/bin/bash", "-c", "true"});
  CHECK(sandbox_error([&] { sandbox->run(gone.job); }).find("not prepared") != std::string::npos);
}

TEST_CASE("the pool keeps warm containers and replaces each one a job used") {
  require_docker_engine();
  TestSandbox& sandbox = shared_sandbox();
  const std::string& id = full_toolchain().id;
  CHECK(wait_until([&] { return sandbox.running_containers(id) == 2; }, std::chrono::seconds(20)));
  for (int i = 0; i < 3; ++i) {
    // A fresh container: its helper (PID 1) and the job, nothing else.
    SandboxResult r = run_bash("echo /proc/[0-9]* && echo /proc/1 /proc/$$");
    INFO(r.stdout_data << r.stderr_data);
    CHECK(r.exit_code == 0);
    CHECK(r.stdout_data.substr(0, r.stdout_data.find('\n')) ==
          r.stdout_data.substr(r.stdout_data.find('\n') + 1,
                               r.stdout_data.size() - r.stdout_data.find('\n') - 2));
  }
  CHECK(wait_until([&] { return sandbox.engine().containers(id).size() == 2; },
                   std::chrono::seconds(20)));
  CHECK(wait_until([&] { return sandbox.running_containers(id) == 2; }, std::chrono::seconds(20)));
}

TEST_CASE("warm containers that died while they waited are replaced, and the jobs still run") {
  require_docker_engine();
  TestSandbox sandbox("pool_size = 3\n");
  sandbox->check_ready();
  const auto& tc = small_toolchain();
  sandbox->prepare_toolchain(tc.id, tc.archive);
  REQUIRE(
      wait_until([&] { return sandbox.running_containers(tc.id) == 3; }, std::chrono::seconds(30)));
  for (const auto& id : sandbox.engine().containers(tc.id)) {  // as an engine restart would
    sandbox.engine().client().call("POST", "/containers/" + id + "/kill");
  }
  REQUIRE(
      wait_until([&] { return sandbox.running_containers(tc.id) == 0; }, std::chrono::seconds(20)));
  // The first job finds its warm container dead and runs in a fresh one; the pool's two others
  // are dead too, so the pool is flushed and the jobs after it run in fresh containers as well.
  for (int i = 0; i < 3; ++i) {
    TestJob t(tc.id, "/", {"/bin/bash", "-c", "echo still works"});
    SandboxResult r = sandbox->run(t.job);
    CHECK(r.stdout_data == "still works\n");
  }
  CHECK(wait_until(
      [&] {
        return sandbox.engine().containers(tc.id).size() == 3 &&
               sandbox.running_containers(tc.id) == 3;
      },
      std::chrono::seconds(30)));
}

TEST_CASE("archives that claim the helper's directory are refused and leave no image") {
  // The other unsafe archives are in the conformance suite; /.sccache-dist holds the job
  // containers' PID 1 helper, which a toolchain must not replace.
  require_docker_engine();
  TempDir dir("sccache-docker-evil");
  fs::path ours = dir / "ours.tar";
  write_file(dir / ".sccache-dist/init", "#!/bin/sh\n");
  REQUIRE(run({"tar", "-C", dir.path().string(), "-cf", ours.string(), ".sccache-dist/init"})
              .exit_code == 0);

  TestSandbox sandbox("pool_size = 0\n");
  sandbox->check_ready();
  const std::string id = fake_id('d');
  std::string error = sandbox_error([&] { sandbox->prepare_toolchain(id, ours); });
  CHECK(error.find("ours.tar") != std::string::npos);
  CHECK(error.find("/.sccache-dist") != std::string::npos);
  CHECK_FALSE(sandbox->has_toolchain(id));
  CHECK(sandbox.engine().images().empty());
}

TEST_CASE("inputs the helper cannot place fail at once, not at the job's timeout") {
  // The helper refuses and stops reading; the engine keeps the container's stdin open, so a
  // plugin that only wrote would block on the rest of the inputs until the timeout.
  require_docker_engine();
  TestJob t(full_toolchain().id, "/work", {"/bin/bash", "-c", "true"});
  t.job.timeout = std::chrono::seconds(20);
  // A directory nobody can create (procfs), sent first, then 128 MiB (sparse here) behind it.
  fs::create_directories(t.job.inputs_root / "proc/x");
  for (int i = 0; i < 8; ++i) {
    fs::path file = t.job.inputs_root / "proc/x" / ("big" + std::to_string(i));
    write_file(file, "");
    fs::resize_file(file, 16 << 20);
  }
  const auto start = std::chrono::steady_clock::now();
  std::string error = sandbox_error([&] { shared_sandbox()->run(t.job); });
  INFO(error);
  CHECK(error.find("cannot create directory /proc/x") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}
