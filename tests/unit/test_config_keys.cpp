// Config key tables (sccache/config_keys.hpp): the unknown-key check a reader runs against its
// table's declaration names file, line, column and key, lists the declared keys, and accepts
// every declared key.
#include <catch2/catch.hpp>

#include "sccache/config_keys.hpp"
#include "sccache/config_section.hpp"

#include "support/config_test_support.hpp"

using sccache::ConfigError;
using sccache::ConfigKey;
using sccache::ConfigSecrecy;
using sccache::ConfigSection;
using sccache::ConfigValueType;

namespace {

constexpr ConfigKey k_builder_keys[] = {
    {"type", ConfigValueType::string, "required", "`\"overlay\"`"},
    {"build_dir", ConfigValueType::path, "required", "where jobs live"},
    {"token", ConfigValueType::string, "", "a secret", ConfigSecrecy::secret},
    {"limits", ConfigValueType::table, "", "a nested table"},
    {"entries", ConfigValueType::table_array, "`[]`", "an array of tables"},
};

using Doc = sccache::test::ConfigDoc;

std::string error_of(const std::function<void()>& f) {
  return sccache::test::config_error_of(f);
}

}  // namespace

TEST_CASE("an unknown key names file, line, column and key, and lists the declared keys") {
  Doc doc("[builder]\ntype = \"overlay\"\n  build_dri = \"/tmp/build\"\n");
  auto builder = doc.root().require_table("builder");
  CHECK(error_of([&] { builder.reject_unknown_keys(k_builder_keys); }) ==
        "test.conf:3:3: key 'builder.build_dri': unknown key (expected one of: type, build_dir, "
        "token, limits, entries)");
}

TEST_CASE("an unknown key at the root, and in an array of tables, names its full key") {
  Doc doc("type = \"x\"\n\n\nextra = 1\n[[entries]]\ntype = \"y\"\n[[entries]]\nbogus = true\n");
  CHECK(error_of([&] { doc.root().reject_unknown_keys(k_builder_keys); }) ==
        "test.conf:4:1: key 'extra': unknown key (expected one of: type, build_dir, token, "
        "limits, entries)");
  auto entries = doc.root().get_table_array("entries");
  REQUIRE(entries.size() == 2);
  CHECK_NOTHROW(entries[0].reject_unknown_keys(k_builder_keys));
  CHECK(error_of([&] {
          entries[1].reject_unknown_keys(k_builder_keys);
        }).starts_with("test.conf:8:1: key 'entries[1].bogus': unknown key"));
}

TEST_CASE("an unknown key's message never holds its value") {
  Doc doc("tokn = \"hunter2-very-secret\"\n");
  auto message = error_of([&] { doc.root().reject_unknown_keys(k_builder_keys); });
  CHECK(message.starts_with("test.conf:1:1: key 'tokn': unknown key"));
  CHECK(message.find("hunter2") == std::string::npos);
}

TEST_CASE("every declared key is accepted, whatever its value") {
  Doc doc("type = 1\nbuild_dir = \"/b\"\ntoken = \"t\"\nentries = [{}]\n[limits]\nanything = 1\n");
  CHECK_NOTHROW(doc.root().reject_unknown_keys(k_builder_keys));
  Doc empty("");
  CHECK_NOTHROW(empty.root().reject_unknown_keys(k_builder_keys));
}

TEST_CASE("a table that declares no keys accepts none") {
  Doc doc("[fixed]\nx = 1\n");
  CHECK(error_of([&] {
          doc.root().require_table("fixed").reject_unknown_keys(std::span<const ConfigKey>());
        }) == "test.conf:2:1: key 'fixed.x': unknown key (expected one of: no keys)");
}

TEST_CASE("find_config_key and the type names the docs print") {
  REQUIRE(sccache::find_config_key(k_builder_keys, "token") != nullptr);
  CHECK(sccache::find_config_key(k_builder_keys, "token")->secrecy == ConfigSecrecy::secret);
  CHECK(sccache::find_config_key(k_builder_keys, "Token") == nullptr);
  CHECK(sccache::config_value_type_name(ConfigValueType::size) == "bytes, or `\"10G\"`");
  CHECK(sccache::config_value_type_name(ConfigValueType::table_array) == "array of tables");
  CHECK(sccache::k_redacted_secret == "(secret)");
}
