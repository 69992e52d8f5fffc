// The three config files: the quickstart's snippets verbatim, the later upstream forms, and every
// bad-input case with its file:line:key error.
#include <catch2/catch.hpp>

#include "buildserver/server_config.hpp"
#include "client/client_config.hpp"
#include "scheduler/scheduler_config.hpp"
#include "support/test_support.hpp"

using namespace sccache;

namespace {

std::filesystem::path quickstart(const std::string& name) {
  return test::source_dir() / "tests" / "data" / "quickstart" / name;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

SchedulerConfig scheduler_from(std::string_view text) {
  return read_scheduler_config(config_document_from_text(text, "scheduler.conf"));
}
ServerConfig server_from(std::string_view text) {
  return read_server_config(config_document_from_text(text, "server.conf"));
}
ClientConfig client_from(std::string_view text) {
  return read_client_config(config_document_from_text(text, "config"));
}

constexpr std::string_view k_server_base = R"(cache_dir = "/tmp/toolchains"
public_addr = "127.0.0.1:10501"
scheduler_addr = "127.0.0.1"

[builder]
type = "overlay"
build_dir = "/tmp/build"
bwrap_path = "/usr/bin/bwrap"

[scheduler_auth]
type = "token"
token = "my server token"
)";

}  // namespace

TEST_CASE("the quickstart's scheduler.conf parses: 0.0.0.0:10500 without public_addr") {
  auto config = read_scheduler_config(load_config_document(quickstart("scheduler.conf")));
  CHECK(config.listen.host == "0.0.0.0");
  CHECK(config.listen.port == 10500);
  CHECK(config.client_auth.type == "token");
  CHECK(config.client_auth.table.require_string("token") == "my client token");
  CHECK(config.server_auth.type == "token");
  CHECK(config.server_timeout == std::chrono::seconds(10));
}

TEST_CASE("the quickstart's server.conf parses: bare-IP scheduler_addr implies port 10500") {
  auto config = read_server_config(load_config_document(quickstart("server.conf")));
  CHECK(config.cache_dir == "/tmp/toolchains");
  CHECK(config.toolchain_cache_size == 10737418240ull);
  CHECK(config.public_addr.host == "192.168.1.1");
  CHECK(config.public_addr.port == 10501);
  CHECK_FALSE(config.scheduler.tls);
  CHECK(config.scheduler.address.host == "192.168.1.1");
  CHECK(config.scheduler.address.port == 10500);
  CHECK(config.builder_type == "overlay");
  CHECK(config.builder.get_path("build_dir") == std::filesystem::path("/tmp/build"));
  CHECK(config.builder.get_path("bwrap_path") == std::filesystem::path("/usr/bin/bwrap"));
  CHECK(config.scheduler_auth.type == "token");
}

TEST_CASE("the quickstart's client config parses") {
  auto config = read_client_config(quickstart("client.conf"));
  REQUIRE(config.scheduler);
  CHECK(config.scheduler->address.host == "192.168.1.1");
  CHECK(config.scheduler->address.port == 10500);
  CHECK(config.cache_dir == "/tmp/toolchains");
  CHECK(config.toolchains.empty());
  CHECK(config.toolchain_cache_size == 1073741824ull);
  CHECK(config.rewrite_includes_only);
  REQUIRE(config.auth);
  CHECK(config.auth->type == "token");
}

TEST_CASE("later upstream forms are accepted") {
  auto scheduler = scheduler_from(R"(public_addr = "127.0.0.1:10600"
server_timeout_secs = 6
[client_auth]
type = "token"
token = "c"
[server_auth]
type = "DANGEROUSLY_INSECURE"
)");
  CHECK(scheduler.listen.host == "127.0.0.1");
  CHECK(scheduler.listen.port == 10600);
  CHECK(scheduler.server_timeout == std::chrono::seconds(6));
  CHECK(scheduler.heartbeat_interval == std::chrono::seconds(2));

  std::string server_text(k_server_base);
  server_text.replace(
      server_text.find("scheduler_addr = \"127.0.0.1\""), 28,
      "scheduler_url = \"http://10.0.0.5:10600/\"\nbind_address = \"0.0.0.0:10501\"\n"
      "toolchain_cache_size = \"10G\"\nmax_jobs = 3");
  auto server = server_from(server_text);
  CHECK(server.scheduler.address.host == "10.0.0.5");
  CHECK(server.scheduler.address.port == 10600);
  REQUIRE(server.bind_address);
  CHECK(server.bind_address->host == "0.0.0.0");
  CHECK(server.toolchain_cache_size == 10ull << 30);
  CHECK(server.max_jobs == 3);

  auto client = client_from(R"([dist]
scheduler_url = "https://sched.example.com"
toolchain_cache_size = "5G"
rewrite_includes_only = false
[[dist.toolchains]]
type = "path_override"
compiler_executable = "/usr/bin/gcc"
archive = "gcc.tar.gz"
archive_compiler_executable = "/usr/bin/gcc"
[[dist.toolchains]]
type = "no_dist"
compiler_executable = "/usr/bin/clang"
[cache.disk]
dir = "/tmp/cache"
)");
  REQUIRE(client.scheduler);
  CHECK(client.scheduler->tls);
  CHECK(client.scheduler->address.port == 10500);
  CHECK(client.toolchain_cache_size == 5ull << 30);
  CHECK_FALSE(client.rewrite_includes_only);
  REQUIRE(client.toolchains.size() == 2);
  CHECK(client.toolchains[0].archive == std::filesystem::path("gcc.tar.gz"));
  CHECK(client.toolchains[1].kind == ToolchainOverride::Kind::no_dist);
  CHECK_FALSE(client.auth);
}

TEST_CASE("a missing client config disables distribution") {
  test::TempDir dir;
  auto config = read_client_config(dir / "nope");
  CHECK_FALSE(config.scheduler);
  CHECK_FALSE(config.document);
}

TEST_CASE("bad input names file, line and key") {
  SECTION("unknown top-level key") {
    auto message = error_of([] {
      scheduler_from(
          "[client_auth]\ntype = \"token\"\ntoken = \"a\"\n[server_auth]\ntype = "
          "\"token\"\ntoken = \"b\"\n[extra]\nx = 1\n");
    });
    CHECK(message.find("scheduler.conf:7:2: key 'extra': unknown key") == 0);
  }
  SECTION("unknown key in server.conf") {
    std::string text(k_server_base);
    text.insert(text.find("[builder]"), "schedulr_addr = \"10.0.0.1\"\n");
    CHECK(error_of([&] { server_from(text); }).find("server.conf:5:1: key 'schedulr_addr'") == 0);
  }
  SECTION("wrong type") {
    std::string text(k_server_base);
    text.replace(text.find("\"127.0.0.1:10501\""), 17, "10501");
    CHECK(error_of([&] { server_from(text); }) ==
          "server.conf:2:15: key 'public_addr': expected a string, found an integer");
  }
  SECTION("missing required keys") {
    CHECK(error_of([] {
            scheduler_from("[client_auth]\ntype = \"token\"\ntoken = \"a\"\n");
          }).find("key 'server_auth': missing required table") != std::string::npos);
    std::string text(k_server_base);
    text.erase(text.find("cache_dir"), text.find('\n') + 1);
    CHECK(error_of([&] { server_from(text); }).find("key 'cache_dir': missing required key") !=
          std::string::npos);
    text = std::string(k_server_base);
    text.erase(text.find("scheduler_addr"), 29);
    CHECK(error_of([&] { server_from(text); }).find("key 'scheduler_url': missing required key") !=
          std::string::npos);
  }
  SECTION("public_addr without a port") {
    std::string text(k_server_base);
    text.replace(text.find("127.0.0.1:10501"), 15, "127.0.0.1");
    CHECK(error_of([&] { server_from(text); }).find("key 'public_addr': expected \"host:port\"") !=
          std::string::npos);
  }
  SECTION("both scheduler_addr and scheduler_url") {
    std::string text(k_server_base);
    text.insert(0, "scheduler_url = \"http://127.0.0.1:10500\"\n");
    auto message = error_of([&] { server_from(text); });
    CHECK(message.find("server.conf:1:") == 0);
    CHECK(message.find("scheduler_addr") != std::string::npos);
    CHECK(message.find("scheduler_url") != std::string::npos);
  }
  SECTION("a removed auth type names its replacement") {
    auto message = error_of([] {
      scheduler_from(
          "[client_auth]\ntype = \"mozilla\"\n[server_auth]\ntype = \"token\"\ntoken "
          "= \"b\"\n");
    });
    CHECK(message.find("scheduler.conf:2:8: key 'client_auth.type'") == 0);
    CHECK(message.find("jwt_validate") != std::string::npos);
  }
  SECTION("bad sizes and numbers") {
    std::string text(k_server_base);
    text.insert(0, "toolchain_cache_size = \"ten gigs\"\n");
    CHECK(error_of([&] {
            server_from(text);
          }).find("server.conf:1:24: key 'toolchain_cache_size'") == 0);
    CHECK(error_of([] {
            scheduler_from(
                "server_timeout_secs = 0\n[client_auth]\ntype = \"token\"\ntoken = "
                "\"a\"\n[server_auth]\ntype = \"token\"\ntoken = \"b\"\n");
          }).find("key 'server_timeout_secs'") != std::string::npos);
  }
  SECTION("duplicate toolchain entries") {
    auto message = error_of([] {
      client_from(
          "[dist]\n[[dist.toolchains]]\ntype = \"no_dist\"\ncompiler_executable = "
          "\"/usr/bin/gcc\"\n[[dist.toolchains]]\ntype = \"no_dist\"\ncompiler_executable "
          "= \"/usr/bin/gcc\"\n");
    });
    CHECK(message.find("config:7:23: ") == 0);
    CHECK(message.find("dist.toolchains[1].compiler_executable") != std::string::npos);
  }
  SECTION("secrets stay out of messages") {
    auto message = error_of([] { client_from("[dist]\nscheduler_addr = \"s3cr3t-token/x\"\n"); });
    CHECK(message.find("config:2:18: key 'dist.scheduler_addr'") == 0);
    CHECK(message.find("s3cr3t") == std::string::npos);
  }
}
