// ConfigSection: typed getters and the file:line:key errors every config reader relies on.
#include <catch2/catch.hpp>

#include "sccache/config_section.hpp"

#include "support/config_test_support.hpp"

using sccache::ConfigError;
using sccache::ConfigSection;

namespace {

using Doc = sccache::test::ConfigDoc;

std::string error_of(const std::function<void()>& f) {
  return sccache::test::config_error_of(f);
}

}  // namespace

TEST_CASE("parse_size accepts bytes and K/M/G/T suffixes") {
  CHECK(sccache::parse_size("0") == 0u);
  CHECK(sccache::parse_size("1073741824") == 1073741824u);
  CHECK(sccache::parse_size("10G") == 10ull << 30);
  CHECK(sccache::parse_size("5g") == 5ull << 30);
  CHECK(sccache::parse_size("512M") == 512ull << 20);
  CHECK(sccache::parse_size("100K") == 100ull << 10);
  CHECK(sccache::parse_size("2T") == 2ull << 40);
  CHECK_FALSE(sccache::parse_size(""));
  CHECK_FALSE(sccache::parse_size("G"));
  CHECK_FALSE(sccache::parse_size("10X"));
  CHECK_FALSE(sccache::parse_size("-5"));
  CHECK_FALSE(sccache::parse_size("1.5G"));
  CHECK_FALSE(sccache::parse_size("99999999999999999999"));
  CHECK_FALSE(sccache::parse_size("20000000000T"));
}

TEST_CASE("typed getters return values and report wrong types at file:line:key") {
  Doc doc("name = \"x\"\ncount = 3\nflag = true\nsize = \"2M\"\n\n[sub]\nkey = 42\n");
  auto root = doc.root();
  CHECK(root.get_string("name") == "x");
  CHECK(root.get_integer("count") == 3);
  CHECK(root.get_bool("flag") == true);
  CHECK(root.get_size("size") == 2u << 20);
  CHECK_FALSE(root.get_string("absent"));
  auto sub = root.require_table("sub");
  CHECK(sub.full_key("key") == "sub.key");

  CHECK(error_of([&] { sub.get_string("key"); }) ==
        "test.conf:7:7: key 'sub.key': expected a string, found an integer");
  CHECK(error_of([&] { root.get_integer("name"); }) ==
        "test.conf:1:8: key 'name': expected an integer, found a string");
  CHECK(error_of([&] { root.get_table("count"); }) ==
        "test.conf:2:9: key 'count': expected a table, found an integer");
}

TEST_CASE("missing required keys name the enclosing table's line") {
  Doc doc("a = 1\n\n[section]\nother = 2\n");
  auto section = doc.root().require_table("section");
  auto message = error_of([&] { section.require_string("token"); });
  CHECK(message.find("test.conf:3") == 0);
  CHECK(message.find("key 'section.token': missing required key") != std::string::npos);
  CHECK(error_of([&] { doc.root().require_table("nope"); }).find("key 'nope'") !=
        std::string::npos);
}

TEST_CASE("error messages never contain configured values") {
  Doc doc("[auth]\ntoken = \"hunter2-very-secret\"\nsize = \"hunter2G\"\n");
  auto auth = doc.root().require_table("auth");
  auto message = error_of([&] { auth.get_integer("token"); });
  CHECK(message.find("hunter2") == std::string::npos);
  message = error_of([&] { auth.get_size("size"); });
  CHECK(message.find("hunter2") == std::string::npos);
  CHECK(message.find("key 'auth.size'") != std::string::npos);
}

TEST_CASE("TOML syntax errors give file, line and column") {
  auto message = error_of([] { sccache::parse_config_text("a = 1\nb = = 2\n", "bad.conf"); });
  CHECK(message.find("bad.conf:2:") == 0);
  CHECK(message.find("invalid TOML") != std::string::npos);
  message = error_of([] { sccache::parse_config_file("/nonexistent/dir/x.conf"); });
  CHECK(message.find("/nonexistent/dir/x.conf: cannot read config file") == 0);
}

TEST_CASE("paths are resolved against the config file's directory") {
  toml::table table = sccache::parse_config_text("a = \"rel/dir\"\nb = \"/abs\"\nc = \"\"\n",
                                                 "/etc/sccache/server.conf");
  ConfigSection root("/etc/sccache/server.conf", "", table);
  CHECK(root.get_path("a") == std::filesystem::path("/etc/sccache/rel/dir"));
  CHECK(root.get_path("b") == std::filesystem::path("/abs"));
  CHECK(error_of([&] { root.get_path("c"); }).find("cannot be empty") != std::string::npos);
}

TEST_CASE("arrays of tables, including the empty inline array") {
  Doc doc("empty = []\n[[list]]\nx = 1\n[[list]]\nx = 2\n");
  auto root = doc.root();
  CHECK(root.get_table_array("empty").empty());
  auto list = root.get_table_array("list");
  REQUIRE(list.size() == 2);
  CHECK(list[1].get_integer("x") == 2);
  CHECK(list[1].full_key("x") == "list[1].x");
}
