// Configuration, readiness checks, toolchain preparation and eviction, and infrastructure errors.
#include <future>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "sccache/config_error.hpp"
#include "sccache/deferred_removal.hpp"

#include "sandbox_fixture.hpp"

using namespace sccache;
using namespace sccache::test;
using namespace sccache::test::bwrap;
namespace fs = std::filesystem;

namespace {

// Writes an executable shell script standing in for bwrap.
fs::path fake_bwrap(const TempDir& dir, const std::string& body) {
  fs::path path = dir / "fake-bwrap";
  write_file(path, "#!/bin/sh\n" + body);
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

// Names in the toolchains directory, sorted.
std::vector<std::string> toolchain_entries(const TestSandbox& sandbox) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(sandbox.build_dir() / "toolchains")) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("check_ready prepares build_dir and describes the sandbox") {
  require_sandbox_environment();
  TestSandbox sandbox;
  write_file(sandbox.build_dir() / "builds/stale-job/upper/file", "left over");
  write_file(sandbox.build_dir() / "toolchains/abc.tmp-1234/file", "half unpacked");
  sandbox->check_ready();
  struct stat st {};
  REQUIRE(::stat(sandbox.build_dir().c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  CHECK(fs::is_directory(sandbox.build_dir() / "toolchains"));
  sccache::flush_deferred_removals();  // the smoke job's directory goes in the background
  CHECK(fs::is_empty(sandbox.build_dir() / "builds"));
  CHECK(fs::is_empty(sandbox.build_dir() / "toolchains"));
  std::string description = sandbox->describe();
  CHECK(description.rfind("overlay+bwrap ", 0) == 0);
  CHECK(description.find('.') != std::string::npos);  // a version
}

TEST_CASE("check_ready explains a missing, old or broken bwrap") {
  require_sandbox_environment();
  TestSandbox unprivileged;
  REQUIRE(::seteuid(65534) == 0);  // only this thread runs: the test binary is serial
  std::string not_root = sandbox_error([&] { unprivileged->check_ready(); });
  REQUIRE(::seteuid(0) == 0);
  CHECK(not_root.find("needs root") != std::string::npos);
  CHECK(not_root.find("type = \"docker\"") != std::string::npos);

  TestSandbox missing("bwrap_path = \"/nonexistent/bwrap\"\n");
  std::string error = sandbox_error([&] { missing->check_ready(); });
  CHECK(error.find("/nonexistent/bwrap") != std::string::npos);
  CHECK(error.find("bwrap_path") != std::string::npos);

  TempDir dir("sccache-bwrap-fake");
  fs::path old = fake_bwrap(dir, "echo 'bubblewrap 0.2.1'\n");
  TestSandbox too_old("bwrap_path = \"" + old.string() + "\"\n");
  error = sandbox_error([&] { too_old->check_ready(); });
  CHECK(error.find("0.2.1") != std::string::npos);
  CHECK(error.find("0.3.0") != std::string::npos);

  TempDir dir2("sccache-bwrap-fake");
  fs::path broken = fake_bwrap(
      dir2,
      "if [ \"$1\" = --version ]; then echo 'bubblewrap 0.8.0'; exit 0; fi\n"
      "echo 'bwrap: Creating new namespace failed: Operation not permitted' >&2\nexit 1\n");
  TestSandbox cannot_sandbox("bwrap_path = \"" + broken.string() + "\"\n");
  error = sandbox_error([&] { cannot_sandbox->check_ready(); });
  CHECK(error.find("Creating new namespace failed: Operation not permitted") != std::string::npos);
}

TEST_CASE("config errors name the file, line and key") {
  require_sandbox_environment();
  auto host = make_default_host_context(AppRole::tool, fs::temp_directory_path());
  toml::table table;
  try {
    create_sandbox("[builder]\ntype = \"overlay\"\nbuild_dir = \"/tmp/x\"\nbwrap = \"/usr/bin\"\n",
                   *host, table);
    FAIL("an unknown key was accepted");
  } catch (const ConfigError& e) {
    CHECK(e.line() == 4);
    CHECK(e.key() == "builder.bwrap");
    CHECK(std::string(e.what()).find("server.conf") != std::string::npos);
  }
  try {
    create_sandbox("[builder]\ntype = \"overlay\"\n", *host, table);
    FAIL("a missing build_dir was accepted");
  } catch (const ConfigError& e) {
    CHECK(e.key() == "builder.build_dir");
  }
  CHECK_THROWS_AS(create_sandbox("[builder]\ntype = \"overlay\"\nbuild_dir = 3\n", *host, table),
                  ConfigError);
}

TEST_CASE("toolchain ids must be lowercase hex SHA-256") {
  require_sandbox_environment();
  Sandbox& sandbox = *shared_sandbox();
  const auto& archive = small_toolchain().archive;
  std::string upper = std::string(64, 'A');
  for (const std::string& id : {upper, std::string(63, 'a'), std::string(65, 'a'),
                                std::string("../") + std::string(61, 'a'), std::string()}) {
    CHECK(sandbox_error([&] {
            sandbox.prepare_toolchain(id, archive);
          }).find("invalid toolchain id") != std::string::npos);
    CHECK_FALSE(sandbox.has_toolchain(id));
  }
  CHECK_FALSE(sandbox.has_toolchain(std::string(64, 'e')));  // valid, never prepared
  TestJob t(std::string(64, 'e'), "/", {"/bin/true"});
  CHECK(sandbox_error([&] { sandbox.run(t.job); }).find("not prepared") != std::string::npos);
}

TEST_CASE("unpacked toolchains have a sticky /tmp and survive a restart") {
  require_sandbox_environment();
  const auto& tc = small_toolchain();
  TestSandbox first;
  first->check_ready();
  first->prepare_toolchain(tc.id, tc.archive);
  CHECK(first->has_toolchain(tc.id));
  struct stat st {};
  REQUIRE(::stat((first.build_dir() / "toolchains" / tc.id / "tmp").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 01777);
  CHECK(toolchain_entries(first) == std::vector<std::string>{tc.id});

  // A new server process on the same build_dir reuses the unpacked tree.
  auto host = make_default_host_context(AppRole::tool, fs::temp_directory_path());
  toml::table table;
  auto second = create_sandbox(
      "[builder]\ntype = \"overlay\"\nbuild_dir = \"" + first.build_dir().string() + "\"\n", *host,
      table);
  second->check_ready();
  CHECK(second->has_toolchain(tc.id));
  TestJob t(tc.id, "/", {"/bin/bash", "-c", "echo reused"});
  CHECK(second->run(t.job).stdout_data == "reused\n");
}

TEST_CASE("archives with unsafe entries are rejected and leave nothing behind") {
  require_sandbox_environment();
  TempDir dir("sccache-bwrap-evil");
  write_file(dir / "inner/ok.txt", "fine");
  write_file(dir / "escape.txt", "outside");
  fs::path dotdot = dir / "dotdot.tar";
  REQUIRE(run({"tar", "-C", (dir / "inner").string(), "-cPf", dotdot.string(), "ok.txt",
               "../escape.txt"})
              .exit_code == 0);
  fs::path absolute = dir / "absolute.tar";
  REQUIRE(run({"tar", "-cPf", absolute.string(), (dir / "escape.txt").string()}).exit_code == 0);
  fs::path garbage = dir / "garbage.tar";
  write_file(garbage, std::string(10000, 'x'));

  TestSandbox sandbox;
  sandbox->check_ready();
  const std::string id(64, 'd');
  for (const auto& archive : {dotdot, absolute, garbage, dir / "missing.tar"}) {
    INFO(archive.string());
    std::string error = sandbox_error([&] { sandbox->prepare_toolchain(id, archive); });
    CHECK(error.find(archive.filename().string()) != std::string::npos);
    CHECK_FALSE(sandbox->has_toolchain(id));
    CHECK(fs::is_empty(sandbox.build_dir() / "toolchains"));
  }
  CHECK_FALSE(fs::exists(sandbox.build_dir() / "escape.txt"));
  // The same id prepares fine from a good archive afterwards.
  sandbox->prepare_toolchain(id, small_toolchain().archive);
  CHECK(sandbox->has_toolchain(id));
}

TEST_CASE("concurrent prepare_toolchain calls for one id unpack it once") {
  require_sandbox_environment();
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  {
    TestSandbox sandbox;
    spdlog::set_default_logger(previous);
    sandbox->check_ready();
    const auto& tc = full_toolchain();
    std::vector<std::future<void>> calls;
    for (int i = 0; i < 6; ++i) {
      calls.push_back(
          std::async(std::launch::async, [&] { sandbox->prepare_toolchain(tc.id, tc.archive); }));
    }
    for (auto& call : calls) {
      CHECK_NOTHROW(call.get());
    }
    CHECK(sandbox->has_toolchain(tc.id));
    CHECK(toolchain_entries(sandbox) == std::vector<std::string>{tc.id});
  }
  spdlog::set_default_logger(previous);
  std::string text = log.str();
  size_t count = 0;
  for (size_t at = text.find("prepared toolchain"); at != std::string::npos;
       at = text.find("prepared toolchain", at + 1)) {
    ++count;
  }
  CHECK(count == 1);
}

TEST_CASE("evicting a toolchain waits for the jobs running on it") {
  require_sandbox_environment();
  const auto& tc = small_toolchain();
  TestSandbox sandbox;
  sandbox->check_ready();
  sandbox->prepare_toolchain(tc.id, tc.archive);
  fs::path tree = sandbox.build_dir() / "toolchains" / tc.id;

  TestJob t(tc.id, "/work", {"/bin/bash", "-c", "sleep 1.5; cat /work/in.txt"});
  t.add_input("/work/in.txt", "still here");
  auto job = std::async(std::launch::async, [&] { return sandbox->run(t.job); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  sandbox->evict_toolchain(tc.id);
  CHECK_FALSE(sandbox->has_toolchain(tc.id));
  CHECK(fs::exists(tree));  // the running job still uses it
  SandboxResult r = job.get();
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_data == "still here");
  CHECK_FALSE(fs::exists(tree));
  CHECK(fs::is_empty(sandbox.build_dir() / "toolchains"));

  // Evicting an idle toolchain removes it at once; preparing again brings it back.
  sandbox->prepare_toolchain(tc.id, tc.archive);
  CHECK(sandbox->has_toolchain(tc.id));
  sandbox->evict_toolchain(tc.id);
  CHECK_FALSE(fs::exists(tree));
  CHECK_FALSE(sandbox->has_toolchain(tc.id));
}

TEST_CASE("timeouts and bad executables are sandbox errors") {
  require_sandbox_environment();
  TestJob slow(full_toolchain().id, "/work", {"/bin/sleep", "30"});
  slow.job.timeout = std::chrono::seconds(1);
  auto start = std::chrono::steady_clock::now();
  std::string error = sandbox_error([&] { shared_sandbox()->run(slow.job); });
  CHECK(error.find("did not finish") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(15));

  TestJob missing(full_toolchain().id, "/work", {"/no/such/compiler", "-c", "x.c"});
  error = sandbox_error([&] { shared_sandbox()->run(missing.job); });
  CHECK(error.find("/no/such/compiler") != std::string::npos);

  TestJob relative(full_toolchain().id, "/work", {"bin/bash", "-c", "true"});
  CHECK(sandbox_error([&] { shared_sandbox()->run(relative.job); }).find("absolute") !=
        std::string::npos);
  TestJob relative_cwd(full_toolchain().id, "work", {"/bin/bash", "-c", "true"});
  CHECK(sandbox_error([&] { shared_sandbox()->run(relative_cwd.job); }).find("cwd") !=
        std::string::npos);
  sccache::flush_deferred_removals();
  CHECK(fs::is_empty(shared_sandbox().build_dir() / "builds"));
}
