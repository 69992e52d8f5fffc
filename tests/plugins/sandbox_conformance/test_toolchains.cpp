// Conformance: toolchains. Ids are checked, unsafe archives are refused and leave nothing, what
// a toolchain may carry into the sandbox is tamed, concurrent preparation happens once, and
// eviction waits for the jobs running on a toolchain.
#include <future>
#include <sstream>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "plugins/sandbox_conformance/conformance.hpp"

using namespace sccache;
using namespace sccache::test;
using namespace sccache::test::conformance;
namespace fs = std::filesystem;

namespace {

size_t occurrences(const std::string& text, const std::string& word) {
  size_t count = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("toolchain ids must be lowercase hex SHA-256", "[conformance]") {
  require_backend();
  Sandbox& sandbox = *shared();
  const auto& archive = small_toolchain().archive;
  for (const std::string& id : {std::string(64, 'A'), std::string(63, 'a'), std::string(65, 'a'),
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

TEST_CASE("archives with unsafe entries are refused and leave nothing behind", "[conformance]") {
  require_backend();
  TempDir dir("sccache-sandbox-evil");
  write_file(dir / "inner/ok.txt", "fine");
  write_file(dir / "escape.txt", "outside");
  fs::path dotdot = dir / "dotdot.tar";
  REQUIRE(run({"tar", "-C", (dir / "inner").string(), "-cPf", dotdot.string(), "ok.txt",
               "../escape.txt"})
              .exit_code == 0);
  fs::path device = dir / "device.tar";
  REQUIRE(run({"tar", "-C", "/", "-cf", device.string(), "dev/null"}).exit_code == 0);
  fs::path garbage = dir / "garbage.tar";
  write_file(garbage, std::string(10000, 'x'));
  // Toolchains are tars; another format's parser never runs on what a client uploads.
  fs::path not_tar = dir / "other-format.a";
  REQUIRE(run({"ar", "rc", not_tar.string(), (dir / "inner/ok.txt").string()}).exit_code == 0);

  auto sandbox = fresh();
  const std::string id(64, 'd');
  for (const auto& archive : {dotdot, device, garbage, not_tar, dir / "missing.tar"}) {
    INFO(archive.string());
    std::string error = sandbox_error([&] { (*sandbox)->prepare_toolchain(id, archive); });
    CHECK(error.find(archive.filename().string()) != std::string::npos);
    CHECK_FALSE((*sandbox)->has_toolchain(id));
    CHECK(sandbox->stored_toolchains() == 0);
  }
  // The same id prepares fine from a good archive afterwards.
  (*sandbox)->prepare_toolchain(id, small_toolchain().archive);
  CHECK((*sandbox)->has_toolchain(id));
  CHECK(sandbox->stored_toolchains() == 1);
}

TEST_CASE("set-id bits of a toolchain never reach the job", "[conformance]") {
  require_backend();
  TempDir dir("sccache-sandbox-setid");
  // small_toolchain()'s files plus a setuid and a setgid copy of bash.
  fs::path tree = dir / "tree";
  fs::create_directories(tree);
  REQUIRE(run({"tar", "-C", tree.string(), "-xzf", small_toolchain().archive.string()}).exit_code ==
          0);
  fs::copy_file(tree / "bin/bash", tree / "bin/suid-bash");
  fs::copy_file(tree / "bin/bash", tree / "bin/sgid-bash");
  REQUIRE(::chmod((tree / "bin/suid-bash").c_str(), 04755) == 0);
  REQUIRE(::chmod((tree / "bin/sgid-bash").c_str(), 02755) == 0);
  fs::path archive = dir / "setid.tar";
  REQUIRE(run({"tar", "-C", tree.string(), "-cf", archive.string(), "."}).exit_code == 0);
  const std::string id = archive_id(archive);

  auto sandbox = fresh();
  (*sandbox)->prepare_toolchain(id, archive);
  TestJob t(id, "/",
            {"/bin/bash", "-c",
             "for f in /bin/suid-bash /bin/sgid-bash; do "
             "[ -u $f ] && echo setuid; [ -g $f ] && echo setgid; [ -x $f ] && echo x; "
             "done; /bin/suid-bash -c 'echo runs'"});
  SandboxResult r = (*sandbox)->run(t.job);
  INFO(r.stderr_data);
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_data == "x\nx\nruns\n");
}

TEST_CASE("concurrent prepare_toolchain calls for one id prepare it once", "[conformance]") {
  require_backend();
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  {
    auto sandbox = fresh();
    spdlog::set_default_logger(previous);
    const auto& tc = full_toolchain();
    std::vector<std::future<void>> calls;
    for (int i = 0; i < 6; ++i) {
      calls.push_back(std::async(std::launch::async,
                                 [&] { (*sandbox)->prepare_toolchain(tc.id, tc.archive); }));
    }
    for (auto& call : calls) {
      CHECK_NOTHROW(call.get());
    }
    CHECK((*sandbox)->has_toolchain(tc.id));
    CHECK(sandbox->stored_toolchains() == 1);
  }
  spdlog::set_default_logger(previous);
  CHECK(occurrences(log.str(), "prepared toolchain") == 1);
}

TEST_CASE("evicting a toolchain waits for the jobs running on it", "[conformance]") {
  require_backend();
  auto sandbox = fresh();
  const auto& tc = small_toolchain();
  (*sandbox)->prepare_toolchain(tc.id, tc.archive);
  std::future<SandboxResult> job;  // declared first: destroyed after the marker is released
  JobMarker running;
  TestJob t(tc.id, "/work", {"/bin/bash", "-c", running.command() + "; cat /work/in.txt"});
  t.add_input("/work/in.txt", "still here");
  job = std::async(std::launch::async, [&] { return (*sandbox)->run(t.job); });
  // The handshake: the job runs on the toolchain (and waits at the marker) before the eviction.
  REQUIRE(running.wait_running(std::chrono::seconds(60)));
  (*sandbox)->evict_toolchain(tc.id);
  CHECK_FALSE((*sandbox)->has_toolchain(tc.id));
  CHECK(sandbox->stored_toolchains() == 1);  // the running job still uses it
  CHECK(running.running());
  running.release();
  SandboxResult r = job.get();
  CHECK(r.exit_code == 0);
  CHECK(r.stdout_data == "still here");
  CHECK(sandbox->stored_toolchains() == 0);
  CHECK(sandbox->finished_jobs_cleaned_up());

  // Evicting an idle toolchain removes it at once; preparing again brings it back.
  (*sandbox)->prepare_toolchain(tc.id, tc.archive);
  CHECK((*sandbox)->has_toolchain(tc.id));
  CHECK(sandbox->stored_toolchains() == 1);
  (*sandbox)->evict_toolchain(tc.id);
  CHECK_FALSE((*sandbox)->has_toolchain(tc.id));
  CHECK(sandbox->stored_toolchains() == 0);
}
