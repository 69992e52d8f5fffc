// Every config table the project reads: each reader accepts every key its declaration lists and
// refuses any other, naming exactly the declared keys; the declarations render as the docs' key
// tables (secrets marked, never a broken row), and the doc splicer finds stale and broken blocks.
#include <functional>
#include <map>
#include <set>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "sccache/auth.hpp"
#include "sccache/config_section.hpp"

#include "auth-jwt/jwt_auth.hpp"
#include "auth-token/token_auth.hpp"
#include "buildserver/server_config.hpp"
#include "client/client_config.hpp"
#include "common/config_document.hpp"
#include "config_docs/config_docs.hpp"
#include "config_docs/config_tables.hpp"
#include "sandbox-bwrap/overlay_config.hpp"
#include "sandbox-docker/docker_config.hpp"
#include "scheduler/scheduler_config.hpp"
#include "support/auth_plugin_fixture.hpp"
#include "support/config_test_support.hpp"

using namespace sccache;
using config_docs::documented_tables;
using config_docs::DocumentedTable;

namespace {

const DocumentedTable& table_named(std::string_view id) {
  for (const auto& table : documented_tables()) {
    if (table.id == id) {
      return table;
    }
  }
  FAIL("no documented table " << id);
  throw std::logic_error("unreachable");
}

// A TOML value of the declared type (what it holds does not matter to the unknown-key check).
std::string sample_value(ConfigValueType type) {
  switch (type) {
    case ConfigValueType::integer:
      return "1";
    case ConfigValueType::number:
      return "1.5";
    case ConfigValueType::boolean:
      return "true";
    case ConfigValueType::size:
      return "\"1G\"";
    case ConfigValueType::string_array:
      return "[\"x\"]";
    case ConfigValueType::table:
      return "{}";
    case ConfigValueType::table_array:
      return "[{}]";
    default:
      return "\"x\"";
  }
}

std::string declared_names(const DocumentedTable& table) {
  std::string names;
  for (const auto& key : table.keys) {
    names += fmt::format("{}{}", names.empty() ? "" : ", ", key.name);
  }
  return names;
}

// Runs the reader of a table on a config holding one undeclared key.
using Reader = std::function<void(std::string_view text)>;

void read_auth(const sccache_plugin_descriptor* plugin, std::string_view text, std::string path,
               std::string_view type, AuthRole role) {
  test::AuthPluginFixture fixture(plugin, text, std::move(path), "127.0.0.1:10501");
  if (is_verifier_role(role)) {
    fixture.verifier(type, role);
  } else {
    fixture.provider(type, role);
  }
}

ConfigSection builder_of(const toml::table& table) {
  return ConfigSection("server.conf", "builder", *table["builder"].as_table());
}

struct ReaderCheck {
  std::string text;      // a config whose table holds the undeclared key `bogus`
  std::string full_key;  // how the error names it
  Reader read;
};

const std::map<std::string, ReaderCheck>& reader_checks() {
  static const std::string auths =
      "[client_auth]\ntype = \"token\"\n[server_auth]\ntype = \"token\"\n";
  static const std::map<std::string, ReaderCheck> checks = {
      {"scheduler.conf",
       {"bogus = 1\n", "bogus",
        [](std::string_view t) {
          read_scheduler_config(config_document_from_text(t, "scheduler.conf"));
        }}},
      {"scheduler.conf/tls",
       {auths + "[tls]\nbogus = 1\n", "tls.bogus",
        [](std::string_view t) {
          read_scheduler_config(config_document_from_text(t, "scheduler.conf"));
        }}},
      {"server.conf",
       {"bogus = 1\n", "bogus",
        [](std::string_view t) {
          read_server_config(config_document_from_text(t, "server.conf"));
        }}},
      {"server.conf/builder.overlay",
       {"[builder]\ntype = \"overlay\"\nbogus = 1\n", "builder.bogus",
        [](std::string_view t) {
          auto table = parse_config_text(t, "server.conf");
          sandbox_bwrap::read_overlay_config(builder_of(table));
        }}},
      {"server.conf/builder.docker",
       {"[builder]\ntype = \"docker\"\nbogus = 1\n", "builder.bogus",
        [](std::string_view t) {
          auto table = parse_config_text(t, "server.conf");
          sandbox_docker::read_docker_config(builder_of(table));
        }}},
      {"client",
       {"bogus = 1\n", "bogus",
        [](std::string_view t) {
          read_client_config(config_document_from_text(t, "client.conf"));
        }}},
      {"client/dist",
       {"[dist]\nbogus = 1\n", "dist.bogus",
        [](std::string_view t) {
          read_client_config(config_document_from_text(t, "client.conf"));
        }}},
      {"client/dist.toolchains.path_override",
       {"[[dist.toolchains]]\ntype = \"path_override\"\nbogus = 1\n", "dist.toolchains[0].bogus",
        [](std::string_view t) {
          read_client_config(config_document_from_text(t, "client.conf"));
        }}},
      {"client/dist.toolchains.no_dist",
       {"[[dist.toolchains]]\ntype = \"no_dist\"\nbogus = 1\n", "dist.toolchains[0].bogus",
        [](std::string_view t) {
          read_client_config(config_document_from_text(t, "client.conf"));
        }}},
      {"client/cache",
       {"[cache]\nbogus = 1\n", "cache.bogus",
        [](std::string_view t) {
          read_client_config(config_document_from_text(t, "client.conf"));
        }}},
      {"client/cache.disk",
       {"[cache.disk]\nbogus = 1\n", "cache.disk.bogus",
        [](std::string_view t) {
          read_client_config(config_document_from_text(t, "client.conf"));
        }}},
      {"client/cache.redis",
       {"[cache.redis]\nendpoint = \"127.0.0.1:6379\"\nbogus = 1\n", "cache.redis.bogus",
        [](std::string_view t) {
          read_client_config(config_document_from_text(t, "client.conf"));
        }}},
      {"auth/token",
       {"type = \"token\"\nbogus = 1\n", "client_auth.bogus",
        [](std::string_view t) {
          read_auth(auth_token::descriptor(), t, "client_auth", "token", AuthRole::client_verifier);
        }}},
      {"auth/DANGEROUSLY_INSECURE",
       {"type = \"DANGEROUSLY_INSECURE\"\nbogus = 1\n", "client_auth.bogus",
        [](std::string_view t) {
          read_auth(auth_token::descriptor(), t, "client_auth", "DANGEROUSLY_INSECURE",
                    AuthRole::client_verifier);
        }}},
      {"auth/jwt_hs256",
       {"type = \"jwt_hs256\"\nbogus = 1\n", "server_auth.bogus",
        [](std::string_view t) {
          read_auth(auth_jwt::descriptor(), t, "server_auth", "jwt_hs256",
                    AuthRole::server_verifier);
        }}},
      {"auth/jwt_token",
       {"type = \"jwt_token\"\nbogus = 1\n", "scheduler_auth.bogus",
        [](std::string_view t) {
          read_auth(auth_jwt::descriptor(), t, "scheduler_auth", "jwt_token",
                    AuthRole::server_credential);
        }}},
      {"auth/jwt_validate",
       {"type = \"jwt_validate\"\nbogus = 1\n", "client_auth.bogus",
        [](std::string_view t) {
          read_auth(auth_jwt::descriptor(), t, "client_auth", "jwt_validate",
                    AuthRole::client_verifier);
        }}},
  };
  return checks;
}

std::string error_of(const std::function<void()>& f) {
  return sccache::test::config_error_of(f);
}

}  // namespace

TEST_CASE("every documented table's reader refuses an undeclared key, naming its declared keys") {
  std::set<std::string> checked;
  for (const auto& table : documented_tables()) {
    DYNAMIC_SECTION(table.id) {
      auto check = reader_checks().find(std::string(table.id));
      REQUIRE(check != reader_checks().end());
      const std::string message = error_of([&] { check->second.read(check->second.text); });
      CHECK(message.find(fmt::format("key '{}': unknown key (expected one of: {})",
                                     check->second.full_key, declared_names(table))) !=
            std::string::npos);
    }
    checked.insert(std::string(table.id));
  }
  // A reader checked here but missing from the docs would be a table the docs forgot.
  for (const auto& [id, check] : reader_checks()) {
    CHECK(checked.count(id) == 1);
  }
}

TEST_CASE("every key of every table is accepted by the table's unknown-key check") {
  for (const auto& table : documented_tables()) {
    std::string text;
    for (const auto& key : table.keys) {
      text += fmt::format("{} = {}\n", key.name, sample_value(key.type));
    }
    INFO(table.id << ":\n" << text);
    auto parsed = parse_config_text(text, "all-keys.conf");
    ConfigSection section("all-keys.conf", std::string(table.path), parsed);
    CHECK_NOTHROW(section.reject_unknown_keys(table.keys));
    CHECK(parsed.size() == table.keys.size());
  }
}

TEST_CASE("declarations are complete: unique names, a description each, ids unique") {
  std::set<std::string_view> ids;
  for (const auto& table : documented_tables()) {
    INFO(table.id);
    CHECK(ids.insert(table.id).second);
    CHECK_FALSE(table.keys.empty());
    std::set<std::string_view> names;
    for (const auto& key : table.keys) {
      INFO(key.name);
      CHECK_FALSE(key.name.empty());
      CHECK(names.insert(key.name).second);
      CHECK_FALSE(key.description.empty());
    }
    CHECK_NOTHROW(config_docs::render_table(table));
  }
}

TEST_CASE("credentials are declared secret and shown as (secret) in the docs") {
  for (auto [id, name] :
       {std::pair{"auth/token", "token"}, std::pair{"auth/jwt_hs256", "secret_key"},
        std::pair{"auth/jwt_token", "token"}}) {
    const auto& table = table_named(id);
    const ConfigKey* key = find_config_key(table.keys, name);
    REQUIRE(key != nullptr);
    CHECK(key->secrecy == ConfigSecrecy::secret);
    CHECK(config_docs::render_table(table).find(fmt::format("| `{}` | string (secret) |", name)) !=
          std::string::npos);
  }
  CHECK(config_docs::render_table(table_named("scheduler.conf")).find("(secret)") ==
        std::string::npos);
}

TEST_CASE("nested tables render with their full name, empty defaults as none") {
  const std::string dist = config_docs::render_table(table_named("client/dist"));
  CHECK(dist.starts_with("| key | type | default | meaning |\n|---|---|---|---|\n"));
  CHECK(dist.find("| `[dist.auth]` | table | `DANGEROUSLY_INSECURE` |") != std::string::npos);
  CHECK(dist.find("| `[[dist.toolchains]]` | array of tables | `[]` |") != std::string::npos);
  CHECK(dist.find("| `scheduler_addr` | string | none |") != std::string::npos);
}

TEST_CASE("a declaration that would break the markdown table is refused") {
  constexpr ConfigKey keys[] = {{"bad", ConfigValueType::string, "", "a | b"}};
  CHECK_THROWS_WITH(config_docs::render_table({"t", "", keys}),
                    Catch::Contains("table 't', key 'bad'"));
}

TEST_CASE("splicing regenerates blocks, keeps the prose, and names stale and broken blocks") {
  constexpr ConfigKey keys[] = {{"a", ConfigValueType::integer, "`1`", "the a"}};
  const std::vector<DocumentedTable> tables = {{"one", "", keys}};
  const std::string fresh = "# Title\n\nprose\n" + config_docs::render_block(tables[0]) + "after\n";

  auto same = config_docs::splice_tables(fresh, tables);
  CHECK(same.errors.empty());
  CHECK(same.stale.empty());
  CHECK(same.text == fresh);

  std::string edited = fresh;
  edited.replace(edited.find("the a"), 5, "the b");
  auto stale = config_docs::splice_tables(edited, tables);
  CHECK(stale.errors.empty());
  CHECK(stale.stale == std::vector<std::string>{"one"});
  CHECK(stale.text == fresh);

  auto missing = config_docs::splice_tables("# Title\n", tables);
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].starts_with("no block for table 'one'"));

  auto twice = config_docs::splice_tables(fresh + config_docs::render_block(tables[0]), tables);
  REQUIRE(twice.errors.size() == 1);
  CHECK(twice.errors[0].find("a second block for table 'one'") != std::string::npos);

  auto unknown = config_docs::splice_tables(
      fresh + "<!-- keys:two:begin -->\nx\n<!-- keys:two:end -->\n", tables);
  REQUIRE(unknown.errors.size() == 1);
  CHECK(unknown.errors[0] == "line 10: no generated table is called 'two'");

  auto unbalanced = config_docs::splice_tables(fresh + "<!-- keys:one:end -->\n", tables);
  REQUIRE(unbalanced.errors.size() == 1);
  CHECK(unbalanced.errors[0] == "line 10: block 'one' ends but never began");
}
