// Distributed compiles end to end: the real scheduler, a real build server and the real client,
// compiling real code. Every remote object and depfile is compared byte for byte with a local
// compile of the same command in the same directory. The build servers use the overlay builder,
// or the docker builder with SCCACHE_TEST_BUILDER=docker (ctest runs both: test_distributed and
// test_distributed_docker).
#include <fstream>
#include <regex>
#include <signal.h>
#include <sstream>
#include <sys/mount.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#define CATCH_CONFIG_EXTERNAL_INTERFACES  // for the listener below
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "cluster_fixture.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

const BuilderRequired g_builder_required;

// The Docker engine, for the docker builder's checks: `method path` over its Unix socket.
std::string docker_call(const std::string& method, const std::string& path) {
  const char* host = std::getenv("DOCKER_HOST");
  std::string socket_path = host != nullptr && std::string(host).rfind("unix://", 0) == 0
                                ? std::string(host).substr(7)
                                : "/var/run/docker.sock";
  Poco::Net::StreamSocket socket(
      Poco::Net::SocketAddress(Poco::Net::SocketAddress::UNIX_LOCAL, socket_path));
  Poco::Net::HTTPClientSession session(socket);
  Poco::Net::HTTPRequest request(method, "/v1.41" + path, Poco::Net::HTTPMessage::HTTP_1_1);
  request.setHost("docker");
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
  return body;
}

// Ids of the containers (kind "containers") or images ("images") that build servers made from a
// config file whose path starts with `config_prefix`; the docker builder labels them so.
std::vector<std::string> docker_objects(const std::string& kind, const std::string& config_prefix) {
  std::string filter;
  Poco::URI::encode(R"({"label":["org.sccache-dist.config"]})", "{}[]\":,", filter);
  Poco::JSON::Parser parser;
  auto list = parser.parse(docker_call("GET", "/" + kind + "/json?all=1&filters=" + filter))
                  .extract<Poco::JSON::Array::Ptr>();
  std::vector<std::string> ids;
  for (unsigned i = 0; i < list->size(); ++i) {
    auto object = list->getObject(i);
    auto labels = object->getObject("Labels");
    if (labels &&
        labels->optValue<std::string>("org.sccache-dist.config", "").rfind(config_prefix, 0) == 0) {
      ids.push_back(object->getValue<std::string>("Id"));
    }
  }
  return ids;
}

// Test clusters stop their servers with SIGKILL, which leaves a docker builder's containers and
// images behind (only the same server's next start would remove them): remove them after each
// test case.
struct DockerLeftovers : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    TestEventListenerBase::testCaseEnded(stats);
    if (test_builder() != "docker") {
      return;
    }
    const std::string clusters = (fs::temp_directory_path() / "sccache-cluster-").string();
    for (const auto& id : docker_objects("containers", clusters)) {
      docker_call("DELETE", "/containers/" + id + "?force=1&v=1");
    }
    for (const auto& id : docker_objects("images", clusters)) {
      docker_call("DELETE", "/images/" + id + "?force=1");
    }
  }
};
CATCH_REGISTER_LISTENER(DockerLeftovers)

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

// Debian's Lua includes a header its packaging generates; provide it as debian/rules does.
fs::path lua_tree(const fs::path& to) {
  copy_tree(lua_sources(), to);
  write_file(to / "lua5.4-deb-multiarch.h", "#define DEB_HOST_MULTIARCH \"x86_64-linux-gnu\"\n");
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

// A scheduler and one build server, registered; returns the client config for them.
fs::path start_one_server(Cluster& cluster) {
  cluster.start_scheduler();
  cluster.start_server();
  REQUIRE(cluster.wait_for_servers(1));
  return cluster.client_config();
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
  const fs::path config = start_one_server(cluster);
  const fs::path src = lua_tree(cluster.dir() / "lua");
  fs::create_directories(src / "obj");

  std::vector<std::string> sources;
  for (const auto& entry : fs::directory_iterator(src)) {
    if (entry.path().extension() == ".c") {
      sources.push_back(entry.path().filename().string());
    }
  }
  std::sort(sources.begin(), sources.end());
  REQUIRE(sources.size() >= 30);
  const std::vector<std::string> flags = {
      "-std=gnu99", "-O2", "-Wall", "-Wextra", "-DLUA_COMPAT_5_3", "-DLUA_USE_LINUX"};
  for (const auto& source : sources) {
    const std::string object = "obj/" + fs::path(source).replace_extension(".o").string();
    auto [local, remote] = compile_both(cluster, config, src, "gcc", flags, source, object);
    INFO(source << "\nlocal stderr: " << local.result.err
                << "\nremote stderr: " << remote.result.err);
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
  const fs::path config = start_one_server(cluster);
  const fs::path tree = copy_tree(source_dir() / "core", cluster.dir() / "core");
  const std::vector<std::string> flags = {
      "-std=c++20", "-O2", "-Wall", "-Wextra", "-fPIC", "-I" + (tree / "include").string()};
  size_t compiled = 0;
  for (const char* source :
       {"src/config_section.cpp", "src/plugin_registry.cpp", "src/auth.cpp", "src/transport.cpp"}) {
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

// `readelf` output for one debug section of an object written to `dir`.
std::string dwarf(const fs::path& dir, const std::string& object_bytes, const std::string& dump) {
  write_file(dir / "dwarf-probe.o", object_bytes);
  RunResult r = run({"readelf", "--wide", "--debug-dump=" + dump, "dwarf-probe.o"}, {}, dir);
  return r.out;
}

// The DWARF info dump without DW_AT_producer lines and string-table offsets (which move when the
// producer string's length changes).
std::string info_without_producer(const std::string& info) {
  static const std::regex offsets(R"(\((indirect (line )?string, )?offset: 0x[0-9a-f]+\))");
  std::string out;
  std::istringstream in(info);
  for (std::string line; std::getline(in, line);) {
    if (line.find("DW_AT_producer") != std::string::npos ||
        line.find("Length:") != std::string::npos) {
      continue;
    }
    out += std::regex_replace(line, offsets, "(offset)") + "\n";
  }
  return out;
}

TEST_CASE("with -g the code, files, lines and columns match; only the recorded switches differ") {
  Cluster cluster;
  const fs::path config = start_one_server(cluster);
  const fs::path src = lua_tree(cluster.dir() / "lua");
  for (const char* source : {"lapi.c", "lvm.c", "lstrlib.c"}) {
    INFO(source);
    const std::string object = fs::path(source).replace_extension(".o").string();
    auto [local, remote] =
        compile_both(cluster, config, src, "gcc", {"-O1", "-g", "-DLUA_USE_LINUX"}, source, object);
    REQUIRE(remote.result.exit_code == 0);
    // gcc records its command line in DW_AT_producer (-grecord-gcc-switches, the default); the
    // remote command adds -fdirectives-only there. Everything else is the same.
    CHECK(dwarf(src, remote.object, "decodedline") == dwarf(src, local.object, "decodedline"));
    const std::string remote_info = dwarf(src, remote.object, "info");
    CHECK(info_without_producer(remote_info) ==
          info_without_producer(dwarf(src, local.object, "info")));
    CHECK(remote_info.find("-fdirectives-only") != std::string::npos);
    write_file(src / "l.o", local.object);
    write_file(src / "r.o", remote.object);
    CHECK(run({"objcopy", "-O", "binary", "--only-section=.text", "l.o", "l.text"}, {}, src)
              .exit_code == 0);
    CHECK(run({"objcopy", "-O", "binary", "--only-section=.text", "r.o", "r.text"}, {}, src)
              .exit_code == 0);
    CHECK(read_file(src / "r.text") == read_file(src / "l.text"));

    // Without the recorded switches, the objects are byte-identical.
    auto [plain_local, plain_remote] =
        compile_both(cluster, config, src, "gcc",
                     {"-O1", "-g", "-gno-record-gcc-switches", "-DLUA_USE_LINUX"}, source, object);
    CHECK(plain_remote.object == plain_local.object);
  }
}

TEST_CASE("clang compiles remotely to identical objects") {
  if (!fs::exists("/usr/bin/clang")) {
    FAIL("clang is not installed: run scripts/install-deps.sh");
  }
  Cluster cluster;
  const fs::path config = start_one_server(cluster);
  const fs::path src = lua_tree(cluster.dir() / "lua");
  for (const char* source : {"lapi.c", "lstrlib.c", "ltable.c"}) {
    INFO(source);
    auto [local, remote] =
        compile_both(cluster, config, src, "clang", {"-O2", "-Wall", "-DLUA_USE_LINUX"}, source,
                     fs::path(source).replace_extension(".o").string());
    REQUIRE(local.result.exit_code == 0);
    CHECK(remote.result.exit_code == 0);
    CHECK(remote.result.err == local.result.err);
    CHECK(remote.object == local.object);
    CHECK(remote.depfile == local.depfile);
  }
  auto stats = stats_json(cluster, config);
  CHECK(stats->getValue<uint64_t>("remote_compiles") == 3);
}

TEST_CASE("a compile error comes back exactly as the compiler printed it, and is not retried") {
  Cluster cluster;
  const fs::path config = start_one_server(cluster);
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
    const fs::path config = cluster.client_config("my client token", "# corrupt upload");
    // The first compile packages the toolchain into the client's cache and uploads it.
    RunResult first = cluster.sccache_in(dir, {"gcc", "-c", "a.c", "-o", "first.o"}, config);
    REQUIRE(first.exit_code == 0);
    // Damage the cached archive in place (same size), as a bad disk would, and give the cluster
    // a fresh server that has to receive the toolchain again.
    std::vector<fs::path> archives;
    for (const auto& entry : fs::directory_iterator(cluster.dir() / "client-cache/client/tc")) {
      archives.push_back(entry.path());
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

TEST_CASE("non-distributable calls run locally and are indistinguishable from the compiler") {
  Cluster cluster;
  const fs::path config = start_one_server(cluster);
  const fs::path dir = cluster.dir() / "local";
  write_file(dir / "a.c", "int main(void) { return 3; }\n");
  write_file(dir / "b.c", "int g(void) { return 4; }\n");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"gcc", "a.c", "-o", "prog"},             // compile and link
           {"gcc", "-E", "a.c"},                     // preprocess only
           {"gcc", "-c", "a.c", "b.c"},              // several sources
           {"gcc", "--version"},                     // not a compile
           {"gcc", "-c", "missing.c", "-o", "m.o"},  // an error from the compiler itself
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

TEST_CASE("make -j through a masquerading symlink: identical objects, stats exact") {
  Cluster cluster;
  const fs::path config = start_one_server(cluster);
  const fs::path src = lua_tree(cluster.dir() / "lua");
  // A directory whose `gcc` is sccache, first in PATH, as distcc and ccache users set it up.
  const fs::path masquerade = cluster.dir() / "masquerade";
  fs::create_directories(masquerade);
  fs::create_symlink(sccache_binary(), masquerade / "gcc");
  std::vector<std::string> objects;
  std::string rules;
  for (const auto& entry : fs::directory_iterator(src)) {
    if (entry.path().extension() == ".c") {
      const std::string stem = entry.path().stem().string();
      objects.push_back(stem + ".o");
      rules += fmt::format("{0}.o: {0}.c\n\tgcc -O2 -DLUA_USE_LINUX -c {0}.c -o {0}.o\n", stem);
    }
  }
  std::string all;
  for (const auto& o : objects) {
    all += " " + o;
  }
  write_file(src / "Makefile.test", "all:" + all + "\n" + rules);
  const std::string path = masquerade.string() + ":" + std::getenv("PATH");
  RunResult make = run({"make", "-f", "Makefile.test", "-j4"},
                       {{"PATH", path}, {"SCCACHE_CONF", config.string()}}, src);
  REQUIRE(make.exit_code == 0);
  // Every compile is counted once: remote, or local on a free local CPU when the cluster's
  // slots were all busy (make -j4 against one 2-CPU server).
  auto stats = stats_json(cluster, config);
  INFO(cluster.sccache_in(src, {"--show-stats"}, config).out << make.err);
  CHECK(stats->getValue<uint64_t>("compile_requests") == objects.size());
  const uint64_t remote = stats->getValue<uint64_t>("remote_compiles");
  CHECK(remote + counter(stats, "local_fallbacks", "no_capacity") == objects.size());
  CHECK(stats->getObject("local_fallbacks")->size() <= 1);
  CHECK(remote >= objects.size() / 2);
  for (const auto& object : objects) {
    INFO(object);
    const std::string remote = read_file(src / object);
    fs::remove(src / object);
    const std::string stem = fs::path(object).stem().string();
    REQUIRE(run({"gcc", "-O2", "-DLUA_USE_LINUX", "-c", stem + ".c", "-o", object}, {}, src)
                .exit_code == 0);
    CHECK(remote == read_file(src / object));
  }
}

TEST_CASE("CMake's compiler launcher builds a C++ project through the cluster") {
  Cluster cluster;
  const fs::path config = start_one_server(cluster);
  const fs::path project = cluster.dir() / "cmake-project";
  write_file(project / "CMakeLists.txt",
             "cmake_minimum_required(VERSION 3.20)\nproject(demo CXX C)\n"
             "add_executable(demo main.cpp util.cpp helper.c)\n");
  write_file(project / "util.hpp", "#pragma once\n#include <string>\nstd::string greet(int n);\n");
  write_file(project / "util.cpp",
             "#include \"util.hpp\"\n#include <sstream>\nstd::string greet(int n) {\n"
             "  std::ostringstream s; s << \"hello \" << n; return s.str();\n}\n");
  write_file(project / "helper.c", "int helper(int x) { return x + 41; }\n");
  write_file(project / "main.cpp",
             "#include <iostream>\n#include \"util.hpp\"\nextern \"C\" int helper(int);\n"
             "int main() { std::cout << greet(helper(1)) << std::endl; }\n");
  const std::map<std::string, std::string> env = {{"SCCACHE_CONF", config.string()}};
  RunResult configure = run({"cmake", "-S", project.string(), "-B", (project / "build").string(),
                             "-DCMAKE_C_COMPILER_LAUNCHER=" + sccache_binary().string(),
                             "-DCMAKE_CXX_COMPILER_LAUNCHER=" + sccache_binary().string()},
                            env);
  REQUIRE(configure.exit_code == 0);
  REQUIRE(cluster.sccache_in(project, {"--zero-stats"}, config).exit_code == 0);
  RunResult build = run({"cmake", "--build", (project / "build").string(), "-j2"}, env);
  INFO(build.out << build.err);
  REQUIRE(build.exit_code == 0);
  RunResult demo = run({(project / "build" / "demo").string()});
  CHECK(demo.out == "hello 42\n");
  auto stats = stats_json(cluster, config);
  CHECK(stats->getValue<uint64_t>("remote_compiles") == 3);
  CHECK(stats->getObject("local_fallbacks")->size() == 0);
}

TEST_CASE(
    "a docker build server killed with SIGKILL leaves containers that its next start removes") {
  if (test_builder() != "docker") {
    WARN("docker builder only (SCCACHE_TEST_BUILDER=docker)");
    return;
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
