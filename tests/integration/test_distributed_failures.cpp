// Distributed compiles when something goes wrong: every failure to distribute falls back to a
// correct local compile, counted by reason, and a docker build server killed with SIGKILL cleans
// up at its next start. Part of the test_distributed binary.
#include <fstream>
#include <signal.h>
#include <sstream>
#include <sys/mount.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/net_address.hpp"
#include "common/wire.hpp"
#include "integration/distributed_fixture.hpp"
#include "support/slow_peers.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

TEST_CASE("every failure to distribute falls back to a correct local compile, counted by reason") {
  Cluster cluster;
  cluster.start_scheduler();
  const fs::path dir = cluster.dir() / "fallback";
  write_file(dir / "a.c", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n");
  const std::vector<std::string> flags = {"-O2"};

  auto expect_fallback = [&](const fs::path& config, const std::string& reason) {
    auto [local, remote] = compile_both(cluster, config, dir, "gcc", flags, "a.c", "a.o");
    INFO("reason " << reason << "; remote stderr: " << remote.result.err);
    CHECK(remote.result.exit_code == 0);
    CHECK(remote.object == local.object);
    CHECK(remote.depfile == local.depfile);
    auto stats = stats_json(cluster, config);
    std::ostringstream counts;
    stats->stringify(counts);
    INFO("stats " << counts.str());
    CHECK(counter(stats, "local_fallbacks", reason) == 1);
    CHECK(stats->getValue<uint64_t>("remote_compiles") == 0);
    // At most a one-line warning.
    CHECK(std::count(remote.result.err.begin(), remote.result.err.end(), '\n') <= 1);
  };

  SECTION("no build server: no capacity") {
    expect_fallback(cluster.client_config("my client token", "# no capacity"), "no_capacity");
  }
  SECTION("auth refused") {
    expect_fallback(cluster.client_config("not the client token"), "auth_refused");
  }
  SECTION("scheduler stopped") {
    cluster.scheduler().signal(SIGTERM);
    cluster.scheduler().wait();
    expect_fallback(cluster.client_config("my client token", "# scheduler down"),
                    "scheduler_unreachable");
  }
  SECTION("server stopped (the scheduler has not noticed yet)") {
    // The killed server must still look alive when the compile allocates (packaging the
    // toolchain first can take seconds on a busy machine): a scheduler with a long timeout.
    cluster.scheduler().signal(SIGTERM);
    cluster.scheduler().wait();
    cluster.start_scheduler("my client token", "my server token", "server_timeout_secs = 60\n");
    cluster.start_server();
    REQUIRE(cluster.wait_for_servers(1));
    cluster.server(0).signal(SIGKILL);
    cluster.server(0).wait();
    expect_fallback(cluster.client_config("my client token", "# server down"),
                    "server_unreachable");
  }
  SECTION("a corrupt toolchain upload") {
    cluster.start_server();
    REQUIRE(cluster.wait_for_servers(1));
    const fs::path config = cluster.client_config("my client token", "# corrupt upload");
    // The first compile packages the toolchain into the client's cache and uploads it.
    RunResult first = cluster.sccache_in(dir, {"gcc", "-c", "a.c", "-o", "first.o"}, config);
    REQUIRE(first.exit_code == 0);
    // Damage the cached archive in place (same size), as a bad disk would, and give the cluster
    // a fresh server that has to receive the toolchain again.
    std::vector<fs::path> archives;
    for (const auto& entry : fs::directory_iterator(cluster.dir() / "client-cache/client/tc")) {
      if (entry.path().filename().string().ends_with(".tar.zst")) {
        archives.push_back(entry.path());
      }
    }
    REQUIRE(archives.size() == 1);
    {
      std::fstream f(archives[0], std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(4096);
      const char byte = static_cast<char>(f.get());
      f.seekp(4096);
      f.put(static_cast<char>(byte ^ 0x5a));
    }
    cluster.server(0).signal(SIGKILL);
    cluster.server(0).wait();
    cluster.start_server();
    REQUIRE(
        wait_until([&] { return cluster.status().cpus_by_server.count(cluster.server_id(1)) == 1; },
                   std::chrono::seconds(20)));
    REQUIRE(
        wait_until([&] { return cluster.status().num_servers == 1; }, std::chrono::seconds(20)));
    REQUIRE(cluster.sccache_in(dir, {"--zero-stats"}, config).exit_code == 0);
    auto [local, remote] = compile_both(cluster, config, dir, "gcc", flags, "a.c", "a.o");
    CHECK(remote.result.exit_code == 0);
    CHECK(remote.object == local.object);
    CHECK(counter(stats_json(cluster, config), "local_fallbacks", "toolchain_upload") == 1);
    CHECK(cluster.server(1).stderr_text().find("corrupt") != std::string::npos);
    // The client dropped the damaged archive: the next compile repackages and goes remote.
    auto [local2, remote2] = compile_both(cluster, config, dir, "gcc", flags, "a.c", "a.o");
    CHECK(remote2.object == local2.object);
    CHECK(stats_json(cluster, config)->getValue<uint64_t>("remote_compiles") == 1);
  }
  SECTION("the server's disk is full") {
    const fs::path small = cluster.dir() / "small-disk";
    fs::create_directories(small);
    REQUIRE(::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=2m") == 0);
    cluster.start_server("my server token", small);
    REQUIRE(cluster.wait_for_servers(1));
    expect_fallback(cluster.client_config("my client token", "# disk full"), "toolchain_upload");
    cluster.server(0).signal(SIGKILL);
    cluster.server(0).wait();
    ::umount2(small.c_str(), MNT_DETACH);
  }
}

TEST_CASE("allocations never followed by a job give their slots back within the lease") {
  Cluster cluster;
  const fs::path config = start_one_server(cluster);
  const uint16_t port = cluster.scheduler_port();
  const std::string client_auth = "Bearer my client token";
  auto alloc = [&](const std::string& toolchain_id) {
    return http_call(port, "POST", std::string(sccache::wire::k_alloc_path),
                     {.body = sccache::wire::AllocRequest{toolchain_id, 0}.to_json(),
                      .authorization = client_auth});
  };
  // A toolchain id must be one: no path, no arbitrary string takes a slot.
  CHECK(alloc("../../etc/passwd").status == 400);
  // A burst of allocations that never run takes every slot...
  const std::string unused_toolchain(64, 'e');
  int taken = 0;
  while (taken < 64 && alloc(unused_toolchain).status == 200) {
    ++taken;
  }
  REQUIRE(taken > 0);
  REQUIRE(taken < 64);
  const auto burst_end = std::chrono::steady_clock::now();
  // ...and gets them back once their lease ends and a heartbeat shows no job arrived.
  REQUIRE(
      wait_until([&] { return alloc(unused_toolchain).status == 200; }, std::chrono::seconds(60)));
  const auto held = std::chrono::steady_clock::now() - burst_end;
  CHECK(held < std::chrono::seconds(30));
  const fs::path dir = cluster.dir() / "after-burst";
  write_file(dir / "a.c", "int f(int x) { return x * 3; }\n");
  auto [local, remote] = compile_both(cluster, config, dir, "gcc", {"-O2"}, "a.c", "a.o");
  CHECK(remote.object == local.object);
  CHECK(stats_json(cluster, config)->getValue<uint64_t>("remote_compiles") == 1);
}

TEST_CASE("a build server killed before the scheduler notices costs no remote work") {
  Cluster cluster;
  // A long server timeout: the dead server stays registered, and gets jobs, for the whole test.
  cluster.start_scheduler("my client token", "my server token", "server_timeout_secs = 60\n");
  cluster.start_server();
  cluster.start_server();
  REQUIRE(cluster.wait_for_servers(2));
  const fs::path config = cluster.client_config("my client token", "# a server dies");
  cluster.server(0).signal(SIGKILL);
  cluster.server(0).wait();
  const fs::path dir = cluster.dir() / "retried";
  const int files = 6;
  for (int i = 0; i < files; ++i) {
    const std::string name = fmt::format("f{}.c", i);
    write_file(dir / name, fmt::format("int f{0}(int x) {{ return x * {0}; }}\n", i));
    auto [local, remote] = compile_both(cluster, config, dir, "gcc", {"-O2"}, name, "f.o");
    INFO(name << ": " << remote.result.err);
    CHECK(remote.result.exit_code == 0);
    CHECK(remote.object == local.object);
    CHECK(remote.result.err.empty());
  }
  auto stats = stats_json(cluster, config);
  CHECK(stats->getValue<uint64_t>("remote_compiles") == files);
  CHECK(counter(stats, "local_fallbacks", "server_unreachable") == 0);
}

TEST_CASE("a frozen build server holding the job is given up within the stall deadline") {
  Cluster cluster;
  cluster.start_scheduler("my client token", "my server token", "server_timeout_secs = 60\n");
  cluster.start_server();
  REQUIRE(cluster.wait_for_servers(1));
  const fs::path config = cluster.client_config("my client token", "# a server freezes");
  const fs::path dir = cluster.dir() / "frozen";
  write_file(dir / "warm.c", "int warm(void) { return 1; }\n");
  // Server 0 gets the toolchain, so the scheduler prefers it for the next jobs.
  REQUIRE(compile_both(cluster, config, dir, "gcc", {"-O2"}, "warm.c", "warm.o")
              .second.result.exit_code == 0);
  cluster.start_server();
  REQUIRE(cluster.wait_for_servers(2));
  // Frozen, not dead: its sockets accept and take bytes, and it never answers.
  cluster.server(0).signal(SIGSTOP);
  const int files = 4;
  for (int i = 0; i < files; ++i) {
    const std::string name = fmt::format("g{}.c", i);
    write_file(dir / name, fmt::format("int g{0}(int x) {{ return x + {0}; }}\n", i));
    const auto start = std::chrono::steady_clock::now();
    auto [local, remote] = compile_both(cluster, config, dir, "gcc", {"-O2"}, name, "g.o");
    const auto took = std::chrono::steady_clock::now() - start;
    INFO(name << ": " << remote.result.err);
    CHECK(remote.result.exit_code == 0);
    CHECK(remote.object == local.object);
    CHECK(remote.result.err.empty());
    // The stall deadline (5 s), perhaps twice (the frozen server's back-off is short), and the
    // other server's first use of the toolchain (a docker import there), not the 660 s a job's
    // request could otherwise wait. The overlay builder's whole case takes about 14 s.
    CHECK(took < std::chrono::seconds(45));
  }
  auto stats = stats_json(cluster, config);
  CHECK(stats->getValue<uint64_t>("remote_compiles") == files + 1);
  CHECK(counter(stats, "remote_retries", "server_unreachable") >= 1);
  CHECK(counter(stats, "local_fallbacks", "server_unreachable") == 0);
  cluster.server(0).signal(SIGCONT);
}

TEST_CASE("real compiles go remote during a slowloris of 500 connections on each daemon") {
  Cluster cluster;
  cluster.start_scheduler();
  cluster.start_server();
  REQUIRE(cluster.wait_for_servers(1));
  const fs::path config = cluster.client_config("my client token", "# under attack");
  const fs::path dir = cluster.dir() / "attacked";
  // The toolchain reaches the server first (a docker builder imports it: seconds of its own),
  // then the local server stops, so the compiles below need new connections through the attack.
  write_file(dir / "warm.c", "int warm(void) { return 1; }\n");
  REQUIRE(compile_both(cluster, config, dir, "gcc", {"-O2"}, "warm.c", "warm.o")
              .second.result.exit_code == 0);
  REQUIRE(cluster.sccache_in(dir, {"--stop-server"}, config).exit_code == 0);
  std::string error;
  const auto server_port = sccache::parse_host_port(cluster.server_id(0), &error)->port;
  // Eight "machines" of the office network, each just under the per-address cap, trickling
  // heads into the scheduler and the build server and reconnecting whenever they are cut.
  std::vector<std::string> machines;
  for (int i = 2; i <= 9; ++i) {
    machines.push_back(fmt::format("127.0.0.{}", i));
  }
  Slowloris attack(machines, {cluster.scheduler_port(), server_port}, 63);
  REQUIRE(attack.open() == 2 * 8 * 63);
  const int files = 4;
  for (int i = 0; i < files; ++i) {
    const std::string name = fmt::format("s{}.c", i);
    write_file(dir / name, fmt::format("int s{0}(int x) {{ return x - {0}; }}\n", i));
    const auto start = std::chrono::steady_clock::now();
    auto [local, remote] = compile_both(cluster, config, dir, "gcc", {"-O2"}, name, "s.o");
    INFO(name << ": " << remote.result.err);
    CHECK(remote.result.exit_code == 0);
    CHECK(remote.object == local.object);
    CHECK(remote.result.err.empty());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  }
  CHECK(cluster.status().num_servers == 1);  // the server's heartbeats got through too
  auto stats = stats_json(cluster, config);
  CHECK(stats->getValue<uint64_t>("remote_compiles") == files + 1);  // kept across the restart
}

// Docker builders only: hidden from the default run, and run by ctest's test_distributed_docker
// (SCCACHE_TEST_BUILDER=docker), which asks for it by its tag.
TEST_CASE("a docker build server killed with SIGKILL leaves containers that its next start removes",
          "[.][docker-only]") {
  if (test_builder() != "docker") {
    FAIL(
        "this case needs docker build servers: run it as ctest's test_distributed_docker "
        "(SCCACHE_TEST_BUILDER=docker)");
  }
  Cluster cluster;
  const fs::path config = start_one_server(cluster);
  const fs::path dir = cluster.dir() / "restart";
  write_file(dir / "a.c", "int f(int x) { return x + 1; }\n");
  {
    auto [local, remote] = compile_both(cluster, config, dir, "gcc", {"-O2"}, "a.c", "a.o");
    REQUIRE(remote.result.exit_code == 0);
    CHECK(remote.object == local.object);
  }
  const std::string server_conf = (cluster.dir() / "server0.conf").string();
  // The toolchain's image and its warm containers (two by default; the used one is removed).
  REQUIRE(wait_until([&] { return docker_objects("containers", server_conf).size() == 2; },
                     std::chrono::seconds(30)));
  REQUIRE(docker_objects("images", server_conf).size() == 1);
  cluster.server(0).signal(SIGKILL);
  cluster.server(0).wait();
  const std::vector<std::string> before = docker_objects("containers", server_conf);
  CHECK(before.size() == 2);  // left behind

  // The same server (same config file, same address) starts again.
  ChildProcess again({sccache_dist_binary().string(), "server", "--config", server_conf},
                     {{"RUST_LOG", "debug"}}, fs::path(), cluster.dir());
  REQUIRE(wait_until(
      [&] {
        std::vector<std::string> now = docker_objects("containers", server_conf);
        return std::none_of(before.begin(), before.end(), [&](const std::string& id) {
          return std::find(now.begin(), now.end(), id) != now.end();
        });
      },
      std::chrono::seconds(60)));
  // It said so, and registered (the scheduler may still list the killed one until then).
  REQUIRE(wait_until(
      [&] {
        const std::string log = again.stderr_text();
        return log.find("left by an earlier run") != std::string::npos &&
               log.find("registered with the scheduler") != std::string::npos;
      },
      std::chrono::seconds(30)));
  {
    auto [local, remote] = compile_both(cluster, config, dir, "gcc", {"-O2"}, "a.c", "a.o");
    CHECK(remote.result.exit_code == 0);
    CHECK(remote.object == local.object);
  }
  CHECK(stats_json(cluster, config)->getValue<uint64_t>("remote_compiles") == 2);

  // A clean stop leaves nothing on the engine.
  again.signal(SIGTERM);
  CHECK(again.wait(std::chrono::seconds(60)) == 0);
  CHECK(docker_objects("containers", server_conf).empty());
  CHECK(docker_objects("images", server_conf).empty());
}
