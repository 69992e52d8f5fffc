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

#include "plugins/sandbox_bwrap/sandbox_fixture.hpp"

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

TEST_CASE("archives with absolute paths are rejected and leave nothing behind") {
  // The other unsafe archives are in the conformance suite; an absolute entry would land outside
  // the unpacked tree here.
  require_sandbox_environment();
  TempDir dir("sccache-bwrap-evil");
  write_file(dir / "escape.txt", "outside");
  fs::path absolute = dir / "absolute.tar";
  REQUIRE(run({"tar", "-cPf", absolute.string(), (dir / "escape.txt").string()}).exit_code == 0);

  TestSandbox sandbox;
  sandbox->check_ready();
  const std::string id(64, 'd');
  std::string error = sandbox_error([&] { sandbox->prepare_toolchain(id, absolute); });
  CHECK(error.find("absolute.tar") != std::string::npos);
  CHECK_FALSE(sandbox->has_toolchain(id));
  CHECK(fs::is_empty(sandbox.build_dir() / "toolchains"));
}
