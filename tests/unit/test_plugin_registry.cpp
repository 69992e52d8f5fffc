// The plugin loader: good plugins load and serve their types; a wrong ABI, a wrong fingerprint, a
// missing entry symbol, an unknown type and unsafe permissions fail with errors naming the file;
// a type claimed twice (in one directory, or by a plugin and a built-in) is an error naming both.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "sccache/plugin_registry.hpp"

#include "auth-token/token_auth.hpp"
#include "support/test_support.hpp"

using namespace sccache;
namespace fs = std::filesystem;

namespace {

fs::path fixture_dir(const std::string& name) {
  return test::build_dir() / "test-plugins" / name;
}
fs::path fixture_file(const std::string& name) {
  return fixture_dir(name) / "sccache-auth-fixture.so";
}
// Claims "fixture_rival", and "fixture_auth" and "token", which the good fixture and the
// auth-token plugin serve.
fs::path rival_file() {
  return fixture_dir("rival") / "sccache-auth-rival.so";
}
fs::path real_plugin_dir() {
  return fs::path(std::getenv("SCCACHE_PLUGIN_PATH"));
}

std::string plugin_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const PluginError& e) {
    return e.what();
  }
  return "(no error)";
}

struct Table {
  explicit Table(std::string_view text) : table(parse_config_text(text, "scheduler.conf")) {}
  ConfigSection section() const { return ConfigSection("scheduler.conf", "client_auth", table); }
  toml::table table;
};

}  // namespace

TEST_CASE("a good plugin loads from a search directory and serves its type") {
  PluginRegistry registry({fixture_dir("good")});
  const AuthFactory& factory = registry.auth("fixture_auth");
  auto host = make_default_host_context(AppRole::tool, fs::temp_directory_path());
  Table table("type = \"fixture_auth\"\n");
  auto verifier =
      factory.create_verifier("fixture_auth", AuthRole::client_verifier, table.section(), *host);
  CHECK(verifier->verify({"Bearer fixture", "", ""}).accepted);
  CHECK_FALSE(verifier->verify({"Bearer other", "", ""}).accepted);
  auto loaded = registry.loaded();
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].origin == fixture_file("good").string());
  CHECK(std::string(loaded[0].descriptor->version) == "0.0.1");
}

TEST_CASE("a wrong ABI version is rejected, naming the file") {
  PluginRegistry registry({});
  auto message = plugin_error([&] { registry.load_file(fixture_file("wrong_abi")); });
  CHECK(message.find(fixture_file("wrong_abi").string()) != std::string::npos);
  CHECK(message.find("ABI version 999") != std::string::npos);
}

TEST_CASE("a wrong build fingerprint is rejected, naming the file") {
  PluginRegistry registry({});
  auto message = plugin_error([&] { registry.load_file(fixture_file("wrong_fingerprint")); });
  CHECK(message.find(fixture_file("wrong_fingerprint").string()) != std::string::npos);
  CHECK(message.find("fingerprint") != std::string::npos);
  CHECK(message.find("some-other-compiler") != std::string::npos);
}

TEST_CASE("a shared object without the entry symbol is rejected") {
  PluginRegistry registry({});
  auto message = plugin_error([&] { registry.load_file(fixture_file("no_entry")); });
  CHECK(message.find(fixture_file("no_entry").string()) != std::string::npos);
  CHECK(message.find("missing entry symbol 'sccache_plugin_entry_v1'") != std::string::npos);
}

TEST_CASE("a file that is not a shared object is rejected") {
  test::TempDir dir;
  test::write_file(dir / "sccache-auth-junk.so", "not an ELF file");
  PluginRegistry registry({dir.path()});
  auto message = plugin_error([&] { registry.auth("anything"); });
  CHECK(message.find((dir / "sccache-auth-junk.so").string()) != std::string::npos);
  CHECK(message.find("cannot load") != std::string::npos);
}

TEST_CASE("an unknown type lists the types found and the directories searched") {
  test::TempDir empty;
  PluginRegistry registry({fixture_dir("good"), empty.path()});
  registry.add_builtin(auth_token::descriptor());
  auto message = plugin_error([&] { registry.auth("kerberos"); });
  CHECK(message.find("no auth plugin provides type 'kerberos'") != std::string::npos);
  CHECK(message.find("'token' (built-in)") != std::string::npos);
  CHECK(message.find("'fixture_auth'") != std::string::npos);
  CHECK(message.find(fixture_dir("good").string()) != std::string::npos);
  CHECK(message.find(empty.path().string()) != std::string::npos);
  // A type of another kind is not found either.
  CHECK(plugin_error([&] { registry.sandbox("fixture_auth"); }).find("no sandbox plugin") !=
        std::string::npos);
}

TEST_CASE("built-ins serve their types, and are validated too") {
  PluginRegistry registry({});
  registry.add_builtin(auth_token::descriptor());
  registry.add_builtin(auth_token::descriptor());  // the same built-in again: no claim twice
  CHECK_NOTHROW(registry.auth("token"));
  CHECK_NOTHROW(registry.auth("DANGEROUSLY_INSECURE"));
  sccache_plugin_descriptor bad = *auth_token::descriptor();
  bad.abi_version = 0;
  CHECK(plugin_error([&] { registry.add_builtin(&bad); }).find("built-in plugin rejected") !=
        std::string::npos);
  CHECK(validate_descriptor(nullptr).has_value());
  bad = *auth_token::descriptor();
  bad.struct_size = 8;
  CHECK(validate_descriptor(&bad)->find("smaller") != std::string::npos);
}

TEST_CASE("group- or world-writable plugin directories and files are refused") {
  test::TempDir dir;
  fs::copy_file(fixture_file("good"), dir / "sccache-auth-fixture.so");
  ::chmod(dir.path().c_str(), 0777);
  PluginRegistry registry({dir.path()});
  CHECK(plugin_error([&] { registry.auth("fixture_auth"); }).find("world-writable") !=
        std::string::npos);
  ::chmod(dir.path().c_str(), 0755);
  ::chmod((dir / "sccache-auth-fixture.so").c_str(), 0666);
  PluginRegistry registry2({dir.path()});
  CHECK(plugin_error([&] { registry2.auth("fixture_auth"); }).find("world-writable") !=
        std::string::npos);
}

TEST_CASE("the real plugins load through the default search path") {
  // ctest points SCCACHE_PLUGIN_PATH at the build's plugin directory.
  PluginRegistry registry(PluginRegistry::default_search_dirs());
  CHECK_NOTHROW(registry.auth("token"));
  CHECK_NOTHROW(registry.transport("http"));
  CHECK_NOTHROW(registry.sandbox("overlay"));
  for (const auto& plugin : registry.loaded()) {
    CHECK(plugin.origin.find("/lib/sccache/plugins/sccache-") != std::string::npos);
  }
  CHECK(registry.search_dirs().front() == fs::path(std::getenv("SCCACHE_PLUGIN_PATH")));
}

TEST_CASE("two plugins of one directory claiming one type are an error naming both files") {
  test::TempDir dir;
  fs::copy_file(fixture_file("good"), dir / "sccache-auth-fixture.so");
  fs::copy_file(rival_file(), dir / "sccache-auth-rival.so");
  PluginRegistry registry({dir.path()});
  const std::string message = plugin_error([&] { registry.auth("fixture_auth"); });
  CHECK(message.find("auth plugin type 'fixture_auth' is claimed twice") != std::string::npos);
  CHECK(message.find((dir / "sccache-auth-fixture.so").string()) != std::string::npos);
  CHECK(message.find((dir / "sccache-auth-rival.so").string()) != std::string::npos);
  // The refused plugin registered none of its types.
  CHECK(registry.provider_of(SCCACHE_PLUGIN_KIND_AUTH, "fixture_rival") == nullptr);
  CHECK(registry.provider_of(SCCACHE_PLUGIN_KIND_AUTH, "token") == nullptr);
}

TEST_CASE("a plugin claiming a built-in's type is an error naming the built-in") {
  {
    PluginRegistry registry({});
    registry.add_builtin(auth_token::descriptor());
    const std::string message = plugin_error([&] { registry.load_file(rival_file()); });
    CHECK(message.find("auth plugin type 'token' is claimed twice") != std::string::npos);
    CHECK(message.find("the built-in plugin '" +
                       std::string(auth_token::descriptor()->description)) != std::string::npos);
    CHECK(message.find(rival_file().string()) != std::string::npos);
    CHECK(registry.provider_of(SCCACHE_PLUGIN_KIND_AUTH, "fixture_rival") == nullptr);
    CHECK(registry.provider_of(SCCACHE_PLUGIN_KIND_AUTH, "token")->origin == "built-in");
  }
  {  // The other way round: the file first, then the built-in.
    PluginRegistry registry({});
    registry.load_file(rival_file());
    const std::string message =
        plugin_error([&] { registry.add_builtin(auth_token::descriptor()); });
    CHECK(message.find("'token' is claimed twice") != std::string::npos);
    CHECK(message.find(rival_file().string()) != std::string::npos);
    CHECK(message.find("the built-in plugin") != std::string::npos);
  }
}

TEST_CASE("a plugin in an earlier search directory shadows a later one of the same type") {
  PluginRegistry registry({fixture_dir("good"), fixture_dir("rival")});
  CHECK_NOTHROW(registry.auth("fixture_rival"));  // scans both directories
  CHECK(registry.provider_of(SCCACHE_PLUGIN_KIND_AUTH, "fixture_auth")->origin ==
        fixture_file("good").string());
  CHECK(registry.provider_of(SCCACHE_PLUGIN_KIND_AUTH, "fixture_rival")->origin ==
        rival_file().string());
  CHECK(registry.loaded().size() == 2);
}

TEST_CASE("a built-in's own shared object in a plugin directory is skipped, not an error") {
  // As the client does: auth-token linked in, and its .so beside the other plugins.
  PluginRegistry registry({real_plugin_dir()});
  registry.add_builtin(auth_token::descriptor());
  CHECK_NOTHROW(registry.transport("http"));  // loads every plugin of the directory
  CHECK(registry.provider_of(SCCACHE_PLUGIN_KIND_AUTH, "token")->origin == "built-in");
  CHECK(registry.load_file(real_plugin_dir() / "sccache-auth-token.so").origin == "built-in");
  for (const auto& plugin : registry.loaded()) {
    CHECK(plugin.origin.find("sccache-auth-token.so") == std::string::npos);
  }
}
