// Distributed compiles end to end: the real scheduler, a real build server (overlay + bwrap) and
// the real client, compiling real code. Every remote object and depfile is compared byte for byte
// with a local compile of the same command in the same directory.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/mount.h>

#include <fmt/format.h>

#include "cluster_fixture.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

struct RequireRoot {
  RequireRoot() { require_overlay_builder(); }
} g_require_root;

fs::path lua_sources() {
  const fs::path dir = source_dir() / ".work" / "sources" / "lua5.4-5.4.4" / "src";
  if (!fs::exists(dir / "lapi.c")) {
    FAIL("the Lua sources are missing: run scripts/fetch-sources.sh (scripts/test.sh does)");
  }
  return dir;
}

// A copy of `from` in a fresh directory, so tests never write into the shared tree.
fs::path copy_tree(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive);
  return to;
}

Poco::JSON::Object::Ptr stats_json(Cluster& cluster, const fs::path& config) {
  RunResult r = cluster.sccache_in(cluster.dir(), {"--show-stats", "--json"}, config);
  Poco::JSON::Parser parser;
  return parser.parse(r.out).extract<Poco::JSON::Object::Ptr>();
}

uint64_t counter(const Poco::JSON::Object::Ptr& stats, const std::string& group,
                 const std::string& key) {
  auto object = stats->getObject(group);
  return object && object->has(key) ? object->getValue<uint64_t>(key) : 0;
}

struct Compiled {
  RunResult result;
  std::string object;
  std::string depfile;
};

// Compiles `source` to `object` in `dir` with the compiler run directly, then through sccache,
// each time from scratch; returns both results.
std::pair<Compiled, Compiled> compile_both(Cluster& cluster, const fs::path& config,
                                           const fs::path& dir, const std::string& compiler,
                                           const std::vector<std::string>& flags,
                                           const std::string& source, const std::string& object) {
  std::vector<std::string> args = {compiler};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {"-MD", "-c", source, "-o", object});
  const fs::path depfile = (dir / object).replace_extension(".d");
  auto collect = [&](RunResult r) {
    Compiled c{std::move(r), read_file(dir / object), read_file(depfile)};
    fs::remove(dir / object);
    fs::remove(depfile);
    return c;
  };
  Compiled local = collect(run(args, {}, dir));
  Compiled remote = collect(cluster.sccache_in(dir, args, config));
  return {std::move(local), std::move(remote)};
}

}  // namespace

TEST_CASE("a real C project (Lua 5.4) compiles remotely to identical objects and depfiles") {
  Cluster cluster;
  cluster.start_scheduler();
  cluster.start_server();
  REQUIRE(cluster.wait_for_servers(1));
  const fs::path config = cluster.client_config();
  const fs::path src = copy_tree(lua_sources(), cluster.dir() / "lua");
  fs::create_directories(src / "obj");

  std::vector<std::string> sources;
  for (const auto& entry : fs::directory_iterator(src)) {
    if (entry.path().extension() == ".c") {
      sources.push_back(entry.path().filename().string());
    }
  }
  std::sort(sources.begin(), sources.end());
  REQUIRE(sources.size() >= 30);
  const std::vector<std::string> flags = {"-std=gnu99", "-O2", "-Wall", "-Wextra",
                                          "-DLUA_COMPAT_5_3", "-DLUA_USE_LINUX"};
  for (const auto& source : sources) {
    const std::string object = "obj/" + fs::path(source).replace_extension(".o").string();
    auto [local, remote] = compile_both(cluster, config, src, "gcc", flags, source, object);
    INFO(source << "\nlocal stderr: " << local.result.err << "\nremote stderr: " << remote.result.err);
    REQUIRE(local.result.exit_code == 0);
    CHECK(remote.result.exit_code == 0);
    CHECK(remote.result.err == local.result.err);
    CHECK(!remote.object.empty());
    CHECK(remote.object == local.object);
    CHECK(remote.depfile == local.depfile);
  }
  auto stats = stats_json(cluster, config);
  CHECK(stats->getValue<uint64_t>("remote_compiles") == sources.size());
  CHECK(counter(stats, "remote_by_server", cluster.server_id(0)) == sources.size());
  CHECK(stats->getObject("local_fallbacks")->size() == 0);
}

TEST_CASE("a real C++ project (this one) compiles remotely to identical objects") {
  Cluster cluster;
  cluster.start_scheduler();
  cluster.start_server();
  REQUIRE(cluster.wait_for_servers(1));
  const fs::path config = cluster.client_config();
  const fs::path tree = copy_tree(source_dir() / "core", cluster.dir() / "core");
  const std::vector<std::string> flags = {
      "-std=c++20", "-O2", "-Wall", "-Wextra", "-fPIC", "-I" + (tree / "include").string()};
  size_t compiled = 0;
  for (const char* source : {"src/config_section.cpp", "src/plugin_registry.cpp", "src/auth.cpp",
                             "src/transport.cpp"}) {
    auto [local, remote] = compile_both(cluster, config, tree, "g++", flags, source,
                                        fs::path(source).filename().replace_extension(".o"));
    INFO(source << "\nremote stderr: " << remote.result.err);
    REQUIRE(local.result.exit_code == 0);
    CHECK(remote.result.exit_code == 0);
    CHECK(remote.object == local.object);
    CHECK(remote.depfile == local.depfile);
    ++compiled;
  }
  auto stats = stats_json(cluster, config);
  CHECK(stats->getValue<uint64_t>("remote_compiles") == compiled);
}

TEST_CASE("with -g the remote object matches the local one") {
  Cluster cluster;
  cluster.start_scheduler();
  cluster.start_server();
  REQUIRE(cluster.wait_for_servers(1));
  const fs::path config = cluster.client_config();
  const fs::path src = copy_tree(lua_sources(), cluster.dir() / "lua");
  for (const char* source : {"lapi.c", "lvm.c", "lstrlib.c"}) {
    auto [local, remote] =
        compile_both(cluster, config, src, "gcc", {"-O1", "-g", "-DLUA_USE_LINUX"}, source,
                     fs::path(source).replace_extension(".o"));
    INFO(source);
    CHECK(remote.result.exit_code == 0);
    CHECK(remote.object == local.object);
  }
}

TEST_CASE("a compile error comes back exactly as the compiler printed it, and is not retried") {
  Cluster cluster;
  cluster.start_scheduler();
  cluster.start_server();
  REQUIRE(cluster.wait_for_servers(1));
  const fs::path config = cluster.client_config();
  const fs::path dir = cluster.dir() / "broken";
  write_file(dir / "bad.cc",
             "#include <vector>\nint f(std::vector<int> v) {\n  int unused = 1;\n  return v.size() "
             "+ undeclared;\n}\n");
  write_file(dir / "warn.c", "int f(int x) {\n  int y;\n  return x;\n}\n");
  auto [local, remote] = compile_both(cluster, config, dir, "g++", {"-Wall"}, "bad.cc", "bad.o");
  CHECK(local.result.exit_code == 1);
  CHECK(remote.result.exit_code == local.result.exit_code);
  CHECK(remote.result.err == local.result.err);
  CHECK(remote.result.err.find("undeclared") != std::string::npos);
  CHECK(remote.object.empty());

  auto [wlocal, wremote] = compile_both(cluster, config, dir, "gcc", {"-Wall"}, "warn.c", "warn.o");
  CHECK(wremote.result.exit_code == 0);
  CHECK(wremote.result.err == wlocal.result.err);
  CHECK(wremote.object == wlocal.object);

  auto stats = stats_json(cluster, config);
  CHECK(stats->getValue<uint64_t>("remote_compiles") == 2);
  CHECK(stats->getValue<uint64_t>("remote_compile_errors") == 1);
  CHECK(stats->getObject("local_fallbacks")->size() == 0);
}

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
    // A path_override archive changed in place after the client hashed it (same size and mtime):
    // the upload no longer matches its id and the server must refuse it.
    const fs::path archive = cluster.dir() / "gcc-toolchain.tar.zst";
    REQUIRE(run({sccache_binary().string(), "--package-toolchain", "/usr/bin/gcc",
                 archive.string()})
                .exit_code == 0);
    const std::string extra = fmt::format(R"(
[[dist.toolchains]]
type = "path_override"
compiler_executable = "/usr/bin/gcc"
archive = "{}"
archive_compiler_executable = "/usr/bin/gcc"
)",
                                          archive.string());
    const fs::path config = cluster.client_config("my client token", extra);
    // First compile: the client hashes the archive; it goes remote fine.
    RunResult first = cluster.sccache_in(dir, {"/usr/bin/gcc", "-c", "a.c", "-o", "first.o"}, config);
    REQUIRE(first.exit_code == 0);
    auto mtime = fs::last_write_time(archive);
    {
      std::fstream f(archive, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(100);
      f.put('\x5a');
    }
    fs::last_write_time(archive, mtime);
    // Restart the server so it no longer holds the toolchain and asks for an upload.
    cluster.server(0).signal(SIGKILL);
    cluster.server(0).wait();
    std::error_code ec;
    fs::remove_all(cluster.dir() / "toolchains0", ec);
    cluster.start_server();
    REQUIRE(cluster.wait_for_servers(1, std::chrono::seconds(20)));
    RunResult zero = cluster.sccache_in(dir, {"--zero-stats"}, config);
    auto [local, remote] = compile_both(cluster, config, dir, "/usr/bin/gcc", flags, "a.c", "a.o");
    CHECK(remote.result.exit_code == 0);
    CHECK(remote.object == local.object);
    CHECK(counter(stats_json(cluster, config), "local_fallbacks", "toolchain_upload") == 1);
    CHECK(wait_until([&] { return cluster.server(1).stderr_text().find("corrupt") != std::string::npos; },
                     std::chrono::seconds(5)));
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

TEST_CASE("non-distributable calls run locally and are indistinguishable from the compiler") {
  Cluster cluster;
  cluster.start_scheduler();
  cluster.start_server();
  REQUIRE(cluster.wait_for_servers(1));
  const fs::path config = cluster.client_config();
  const fs::path dir = cluster.dir() / "local";
  write_file(dir / "a.c", "int main(void) { return 3; }\n");
  write_file(dir / "b.c", "int g(void) { return 4; }\n");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"gcc", "a.c", "-o", "prog"},          // compile and link
           {"gcc", "-E", "a.c"},                  // preprocess only
           {"gcc", "-c", "a.c", "b.c"},           // several sources
           {"gcc", "--version"},                  // not a compile
           {"gcc", "-c", "missing.c", "-o", "m.o"}, // an error from the compiler itself
       }) {
    RunResult local = run(args, {}, dir);
    RunResult remote = cluster.sccache_in(dir, args, config);
    INFO(args[1] << " " << (args.size() > 2 ? args[2] : ""));
    CHECK(remote.exit_code == local.exit_code);
    CHECK(remote.out == local.out);
    CHECK(remote.err == local.err);
  }
  auto stats = stats_json(cluster, config);
  CHECK(stats->getValue<uint64_t>("remote_compiles") == 0);
  CHECK(stats->getValue<uint64_t>("compile_requests") == 5);
}
