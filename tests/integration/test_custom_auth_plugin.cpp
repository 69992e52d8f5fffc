// The plugin SDK end to end: `cmake --install` the project into a fresh prefix, build the
// example plugin (examples/auth-plugin-user-tokens) out of tree against it with
// find_package(sccache-sdk), drop the .so into a plugin directory, and run the installed
// scheduler, build server and client with `type = "user_tokens"`.
#include <signal.h>
#include <sys/stat.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "integration/cluster_fixture.hpp"
#include "support/jwt_mint.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

const OverlayBuilderRequired g_overlay_builder_required;

std::string sha256_line(const std::string& user, const std::string& token) {
  RunResult hashed = run({"sh", "-c", "printf '%s' \"$0\" | sha256sum | cut -d' ' -f1", token});
  REQUIRE(hashed.exit_code == 0);
  return user + " sha256:" + hashed.out.substr(0, 64) + "\n";
}

void must_run(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  RunResult r = run(argv, {}, {}, timeout);
  INFO(argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << "\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("an auth plugin built out of tree against the installed SDK works as a drop-in") {
  TempDir work("sdk-plugin");
  const fs::path prefix = work / "prefix";
  must_run({"cmake", "--install", build_dir().string(), "--prefix", prefix.string()},
           std::chrono::seconds(120));
  REQUIRE(fs::exists(prefix / "lib/cmake/sccache-sdk/sccache-sdkConfig.cmake"));
  REQUIRE(fs::exists(prefix / "include/sccache/plugin.hpp"));

  const fs::path plugin_build = work / "plugin-build";
  must_run({"cmake", "-S", (source_dir() / "examples/auth-plugin-user-tokens").string(), "-B",
            plugin_build.string(), "-DCMAKE_PREFIX_PATH=" + prefix.string(),
            "-DCMAKE_BUILD_TYPE=Release"},
           std::chrono::seconds(120));
  must_run({"cmake", "--build", plugin_build.string()}, std::chrono::seconds(300));
  const fs::path built = plugin_build / "sccache-auth-user-tokens.so";
  REQUIRE(fs::exists(built));

  // A plugin directory of the operator's, as the loader wants it: not group/world-writable.
  const fs::path plugins = work / "plugins";
  fs::create_directories(plugins);
  fs::permissions(plugins, fs::perms(0755));
  fs::copy_file(built, plugins / built.filename());
  fs::permissions(plugins / built.filename(), fs::perms(0644));

  // From here on the installed binaries run, finding their own plugins beside them.
  ScopedEnv installed_binaries("SCCACHE_TEST_BIN_DIR", (prefix / "bin").string());
  ScopedEnv no_build_plugins("SCCACHE_PLUGIN_PATH", std::nullopt);

  const std::string alice = "alice-" + b64url("token of alice, 32 bytes long!!!");
  const std::string bob = "bob-" + b64url("token of bob, also 32 bytes long");
  const fs::path users = work / "users.txt";
  write_file(users, "# test users\n" + sha256_line("alice", alice) + sha256_line("bob", bob));

  Cluster cluster;
  cluster.start_scheduler_with_auth(
      fmt::format("type = \"user_tokens\"\ntokens_file = \"{}\"\n", users.string()),
      token_table("server secret"),
      fmt::format("server_timeout_secs = 5\nplugin_dir = \"{}\"\n", plugins.string()));
  cluster.start_server("server secret");
  REQUIRE(cluster.wait_for_servers(1, std::chrono::seconds(20), alice));
  CHECK(cluster.scheduler().stderr_text().find("[client_auth] type \"user_tokens\": " +
                                               (plugins / built.filename()).string()) !=
        std::string::npos);

  // Alice compiles remotely, byte for byte as a local compile.
  const fs::path src = cluster.dir() / "src";
  write_file(src / "hello.c", "int hello(int x) { return x * 3 + 1; }\n");
  REQUIRE(run({"gcc", "-O2", "-c", "hello.c", "-o", "local.o"}, {}, src).exit_code == 0);
  const fs::path alice_config = cluster.client_config(alice);
  RunResult remote =
      cluster.sccache_in(src, {"gcc", "-O2", "-c", "hello.c", "-o", "remote.o"}, alice_config);
  REQUIRE(remote.exit_code == 0);
  CHECK(read_file(src / "remote.o") == read_file(src / "local.o"));
  Poco::JSON::Parser parser;
  auto stats = parser.parse(cluster.sccache_in(src, {"--show-stats", "--json"}, alice_config).out)
                   .extract<Poco::JSON::Object::Ptr>();
  CHECK(stats->getValue<uint64_t>("remote_compiles") == 1);

  // Bob is in; a stranger is not.
  CHECK(cluster.status(bob).connected);
  CHECK_FALSE(cluster.status("bob-guessing").connected);
  CHECK(http_call(cluster.scheduler_port(), "GET", "/api/v2/status",
                  {.authorization = "Bearer not-a-user"})
            .body.find("unknown or revoked user token") != std::string::npos);

  // Revoke bob by editing the file: refused at once, no restart; alice unaffected.
  write_file(users, sha256_line("alice", alice));
  HttpReply revoked = http_call(cluster.scheduler_port(), "GET", "/api/v2/status",
                                {.authorization = "Bearer " + bob});
  CHECK(revoked.status == 401);
  CHECK(revoked.body.find("unknown or revoked user token") != std::string::npos);
  CHECK_FALSE(cluster.status(bob).connected);
  CHECK(cluster.status(alice).connected);
  // A malformed line refuses only its own user: an edit meant to revoke someone never keeps
  // them in because of a typo elsewhere. A file that cannot be read keeps the users in force.
  write_file(users, "alice this is not a hash\n" + sha256_line("bob", bob));
  CHECK_FALSE(cluster.status(alice).connected);
  CHECK(cluster.status(bob).connected);
  fs::remove(users);
  CHECK(cluster.status(bob).connected);
  CHECK(cluster.scheduler().running());

  cluster.scheduler().signal(SIGTERM);
  REQUIRE(cluster.scheduler().wait() == 0);
  const std::string logs = cluster.scheduler().stderr_text();
  CHECK(logs.find("keeping the previous users") != std::string::npos);
  CHECK(logs.find("users.txt:1: expected") != std::string::npos);
  for (const std::string& token : {alice, bob}) {
    CHECK(logs.find(token) == std::string::npos);
  }
}

TEST_CASE("a drop-in plugin in a group-writable directory is refused at start") {
  TempDir work("sdk-plugin-perms");
  const fs::path plugins = work / "plugins";
  fs::create_directories(plugins);
  fs::permissions(plugins, fs::perms(0775));
  write_file(work / "users.txt", "");
  Cluster cluster;
  ChildProcess& scheduler = cluster.start_scheduler_with_auth(
      fmt::format("type = \"user_tokens\"\ntokens_file = \"{}\"\n", (work / "users.txt").string()),
      token_table("server secret"), fmt::format("plugin_dir = \"{}\"\n", plugins.string()));
  CHECK(scheduler.wait(std::chrono::seconds(20)) == 1);
  CHECK(scheduler.stderr_text().find("writable") != std::string::npos);
}
