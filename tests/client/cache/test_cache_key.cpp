// What goes into the cache's keys, direct mode's manifests and include lists, the file digests,
// and the cache's settings.
#include <thread>

#include <catch2/catch.hpp>

#include "client/cache/cache_config.hpp"
#include "client/cache/cache_entry.hpp"
#include "client/cache/cache_key.hpp"
#include "client/cache/include_list.hpp"
#include "client/cache/manifest.hpp"
#include "support/config_test_support.hpp"
#include "support/test_support.hpp"

using namespace sccache;
using namespace sccache::cache;
using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

KeyInputs base_inputs() {
  KeyInputs in;
  in.compiler_digest = "c0ffee";
  in.family = "gcc";
  in.language = "c";
  in.args = {"-O2", "-c", "a.c", "-o", "a.o"};
  in.object = "a.o";
  in.cwd = "/home/u/src";
  return in;
}

const std::string k_unit = "# 0 \"/home/u/src/a.c\"\nint a(void) { return 1; }\n";

std::string key_of(const KeyInputs& in, const std::string& unit = k_unit) {
  return result_key(in, unit).key;
}

}  // namespace

TEST_CASE("the result key follows what changes the object, not where it goes") {
  const KeyInputs base = base_inputs();
  const std::string key = key_of(base);
  CHECK(key.size() == 65);
  CHECK(key.back() == 'R');
  CHECK(key_of(base) == key);  // deterministic

  auto with = [&](auto change) {
    KeyInputs in = base;
    change(in);
    return key_of(in);
  };
  // Changes that must miss.
  CHECK(with([](KeyInputs& in) { in.compiler_digest = "other"; }) != key);
  CHECK(with([](KeyInputs& in) { in.language = "c++"; }) != key);
  CHECK(with([](KeyInputs& in) { in.args.push_back("-DX=1"); }) != key);
  CHECK(with([](KeyInputs& in) { in.args[0] = "-O0"; }) != key);
  CHECK(with([](KeyInputs& in) { in.environment = {{"LANG", "de_DE.UTF-8"}}; }) != key);
  CHECK(key_of(base, k_unit + "int b;\n") != key);
  // Changes that must not.
  CHECK(with([](KeyInputs& in) { in.args[4] = "elsewhere/a.o"; }) == key);
  CHECK(with([](KeyInputs& in) { in.args.push_back("-fdiagnostics-color=always"); }) == key);
  CHECK(with([](KeyInputs& in) { in.args.push_back("-MF"), in.args.push_back("x.d"); }) == key);
  CHECK(with([](KeyInputs& in) { in.cwd = "/elsewhere"; }) == key);  // no -g
  // The object's name is in the depfile, so it counts when one is written.
  KeyInputs dep = base;
  dep.writes_depfile = true;
  KeyInputs dep_elsewhere = dep;
  dep_elsewhere.args[4] = "b.o";
  dep_elsewhere.object = "b.o";
  CHECK(key_of(dep) != key_of(dep_elsewhere));
  // -g records the working directory, unless a prefix map says otherwise.
  KeyInputs g = base;
  g.args.push_back("-g");
  KeyInputs g_elsewhere = g;
  g_elsewhere.cwd = "/elsewhere";
  CHECK(key_of(g) != key_of(g_elsewhere));
  g.args.push_back("-ffile-prefix-map=/home/u/src=.");
  g_elsewhere.args.push_back("-ffile-prefix-map=/home/u/src=.");
  CHECK(key_of(g) == key_of(g_elsewhere));
}

TEST_CASE("time macros: __TIME__ is not cacheable, __DATE__ puts the day in the key") {
  const KeyInputs base = base_inputs();
  CHECK(result_key(base, "const char* t = __TIME__;\n").not_cacheable == "time_macros");
  CHECK(result_key(base, "const char* t = __TIMESTAMP__;\n").not_cacheable == "time_macros");
  CHECK_FALSE(result_key(base, "int MY__TIME__X;\n").not_cacheable);  // not the token
  const ResultKey date = result_key(base, "const char* d = __DATE__;\n");
  CHECK_FALSE(date.not_cacheable);
  CHECK(date.date_dependent);
  KeyInputs pinned = base;
  pinned.environment = {{"SOURCE_DATE_EPOCH", "0"}};
  const ResultKey fixed = result_key(pinned, "const char* t = __TIME__;\n");
  CHECK_FALSE(fixed.not_cacheable);
  CHECK_FALSE(fixed.date_dependent);
}

TEST_CASE("base directories are stripped from markers and arguments only where safe") {
  KeyInputs a = base_inputs();
  a.basedirs = {"/home/a"};
  a.cwd = "/home/a/src";
  a.args.push_back("-I/home/a/src/include");
  KeyInputs b = a;
  b.basedirs = {"/home/b"};
  b.cwd = "/home/b/src";
  b.args.back() = "-I/home/b/src/include";
  const std::string unit_a = "# 0 \"/home/a/src/a.c\"\nint a(void) { return 1; }\n";
  const std::string unit_b = "# 0 \"/home/b/src/a.c\"\nint a(void) { return 1; }\n";
  CHECK(result_key(a, unit_a).key == result_key(b, unit_b).key);
  CHECK(result_key(a, unit_a).basedirs_stripped);
  // A path in the program's own text is not a marker: it stays.
  CHECK(result_key(a, unit_a + "const char* p = \"/home/a/x\";\n").key !=
        result_key(b, unit_b + "const char* p = \"/home/b/x\";\n").key);
  // __FILE__ would compile the absolute path in: no sharing.
  CHECK(result_key(a, unit_a + "const char* f = __FILE__;\n").key !=
        result_key(b, unit_b + "const char* f = __FILE__;\n").key);
  // -g records paths: no sharing.
  a.args.push_back("-g");
  b.args.push_back("-g");
  CHECK(result_key(a, unit_a).key != result_key(b, unit_b).key);
  // The direct key never strips (its manifest names absolute include paths).
  KeyInputs da = base_inputs(), db = base_inputs();
  da.basedirs = {"/home/a"};
  da.cwd = "/home/a/src";
  db.basedirs = {"/home/b"};
  db.cwd = "/home/b/src";
  CHECK(direct_key(da, "a.c", "digest") != direct_key(db, "a.c", "digest"));
}

TEST_CASE("the direct key follows the source, its path, the working directory and arguments") {
  const KeyInputs base = base_inputs();
  const std::string key = direct_key(base, "a.c", "d1");
  CHECK(key.back() == 'M');
  CHECK(direct_key(base, "a.c", "d2") != key);
  CHECK(direct_key(base, "b.c", "d1") != key);
  KeyInputs moved = base;
  moved.cwd = "/elsewhere";
  CHECK(direct_key(moved, "a.c", "d1") != key);
  KeyInputs defined = base;
  defined.args.push_back("-DX");
  CHECK(direct_key(defined, "a.c", "d1") != key);
  CHECK(direct_key(base, "a.c", "d1") != result_key(base, k_unit).key);
}

TEST_CASE("key_environment keeps the variables that change the output, sorted, first wins") {
  auto env = key_environment({"PATH=/bin", "LANG=C", "CPATH=/inc", "LANG=fr", "HOME=/root",
                              "SOURCE_DATE_EPOCH=1", "CPATHX=no"});
  REQUIRE(env.size() == 3);
  CHECK(env[0] == std::pair<std::string, std::string>{"CPATH", "/inc"});
  CHECK(env[1] == std::pair<std::string, std::string>{"LANG", "C"});
  CHECK(env[2] == std::pair<std::string, std::string>{"SOURCE_DATE_EPOCH", "1"});
}

TEST_CASE("records_paths: -g without a prefix map") {
  CHECK_FALSE(records_paths({"-O2"}));
  CHECK(records_paths({"-g"}));
  CHECK(records_paths({"-ggdb3"}));
  CHECK_FALSE(records_paths({"-g", "-g0"}));
  CHECK_FALSE(records_paths({"-g", "-fdebug-prefix-map=/a=b"}));
  CHECK_FALSE(records_paths({"-g", "-fdebug-compilation-dir=."}));
}

TEST_CASE("included files come from the line markers of gcc and clang units") {
  const std::string gcc_unit =
      "# 0 \"a.c\"\n# 0 \"<built-in>\"\n#define __STDC__ 1\n# 0 \"<command-line>\"\n"
      "# 1 \"/tmp/w//\"\n# 1 \"a.c\"\n# 1 \"inc/h.h\" 1\nint x;\n# 2 \"a.c\" 2\n"
      "# 1 \"/usr/include/stdio.h\" 1 3 4\n#line 7 \"odd \\\"name\\\".h\"\n";
  const auto files = included_files(gcc_unit, "/tmp/w");
  REQUIRE(files.size() == 4);
  CHECK(files[0] == "/tmp/w/a.c");
  CHECK(files[1] == "/tmp/w/inc/h.h");
  CHECK(files[2] == "/usr/include/stdio.h");
  CHECK(files[3] == "/tmp/w/odd \"name\".h");
  const std::string clang_unit =
      "#if 0 /* expanded by -frewrite-includes */\n#include <stdio.h>\n#endif\n"
      "# 1 \"/usr/include/stdio.h\" 1 3 4\n";
  CHECK(included_files(clang_unit, "/x") == std::vector<fs::path>{"/usr/include/stdio.h"});
  CHECK(included_files("#define X \"# 1 \\\"no.h\\\"\"\n", "/x").empty());
}

TEST_CASE("file digests are remembered while a file's stat stays the same") {
  TempDir dir;
  const fs::path file = dir / "h.h";
  write_file(file, "#define X 1\n");
  FileDigests digests;
  auto first = digests.digest(file);
  REQUIRE(first);
  CHECK(first->too_new);  // just written
  // Old enough to be trusted: remembered.
  fs::last_write_time(file, fs::file_time_type::clock::now() - std::chrono::hours(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // ctime ages past one second
  auto second = digests.digest(file);
  REQUIRE(second);
  CHECK_FALSE(second->too_new);
  CHECK(second->hex == first->hex);
  const size_t hashed = digests.hashed();
  CHECK(digests.digest(file)->hex == first->hex);
  CHECK(digests.hashed() == hashed);  // not read again
  write_file(file, "#define X 2\n");
  auto third = digests.digest(file);
  REQUIRE(third);
  CHECK(third->hex != first->hex);
  CHECK_FALSE(digests.digest(dir / "missing.h"));
}

TEST_CASE("a manifest finds the result whose includes still match") {
  TempDir dir;
  write_file(dir / "a.h", "a1");
  write_file(dir / "b.h", "b1");
  FileDigests digests;
  auto digest = [&](const char* name) { return digests.digest(dir / name)->hex; };
  Manifest manifest;
  manifest.add({"R1", {{(dir / "a.h").string(), digest("a.h")}}});
  manifest.add(
      {"R2", {{(dir / "a.h").string(), digest("a.h")}, {(dir / "b.h").string(), digest("b.h")}}});
  Manifest decoded = decode_manifest(encode_manifest(manifest));
  REQUIRE(decoded.results.size() == 2);
  CHECK(decoded.find(digests) == "R2");  // newest first
  write_file(dir / "b.h", "b2");
  CHECK(decoded.find(digests) == "R1");
  write_file(dir / "a.h", "a2");
  CHECK_FALSE(decoded.find(digests));
  fs::remove(dir / "a.h");
  CHECK_FALSE(decoded.find(digests));
  // Re-adding a result moves it first; the list is capped.
  for (int i = 0; i < 150; ++i) {
    decoded.add({"K" + std::to_string(i), {}});
  }
  CHECK(decoded.results.size() == Manifest::k_max_results);
  CHECK(decoded.results.front().result_key == "K149");
  const std::string bytes = encode_manifest(decoded);
  CHECK_THROWS_AS(decode_manifest(bytes.substr(0, bytes.size() / 2)), CorruptEntry);
}

TEST_CASE("cache settings: upstream's config keys and environment variables") {
  const Environment home({"HOME=/home/u"});
  CacheConfig defaults = read_cache_config(std::nullopt, home);
  CHECK(defaults.enabled);
  CHECK(defaults.dir == "/home/u/.cache/sccache");
  CHECK(defaults.max_size == 10ull << 30);
  CHECK(defaults.direct_mode);
  CHECK_FALSE(defaults.redis);

  ConfigDoc doc(
      "basedirs = [\"/work/\"]\n[cache.disk]\ndir = \"/var/cache/sc\"\nsize = \"2G\"\n"
      "[cache.disk.preprocessor_cache_mode]\nuse_preprocessor_cache_mode = false\n"
      "[cache.redis]\nendpoint = \"redis://user:pw@cache.example:7000/2\"\nkey_prefix = \"ci\"\n"
      "ttl = 3600\nrw_mode = \"READ_ONLY\"\n");
  CacheConfig file = read_cache_config(doc.root(), home);
  CHECK(file.dir == "/var/cache/sc");
  CHECK(file.max_size == 2ull << 30);
  CHECK_FALSE(file.direct_mode);
  CHECK(file.basedirs == std::vector<std::string>{"/work"});
  REQUIRE(file.redis);
  CHECK(file.redis->host == "cache.example");
  CHECK(file.redis->port == 7000);
  CHECK(file.redis->db == 2);
  CHECK(file.redis->username == "user");
  CHECK(file.redis->password == "pw");
  CHECK(file.redis->endpoint == "redis://cache.example:7000");  // no credentials
  CHECK(file.redis->key_prefix == "ci");
  CHECK(file.redis->ttl_seconds == 3600);
  CHECK(file.redis->read_only);

  const Environment env({"HOME=/home/u", "SCCACHE_DIR=/tmp/c", "SCCACHE_CACHE_SIZE=500M",
                         "SCCACHE_DIRECT=off", "SCCACHE_BASEDIRS=/a:/a/b",
                         "SCCACHE_REDIS_ENDPOINT=tcp://127.0.0.1:6380", "SCCACHE_REDIS_DB=4",
                         "SCCACHE_REDIS_PASSWORD=s3cret", "SCCACHE_REDIS_TTL=60",
                         "SCCACHE_REDIS_RW_MODE=READ_WRITE"});
  CacheConfig from_env = read_cache_config(doc.root(), env);
  CHECK(from_env.dir == "/tmp/c");
  CHECK(from_env.max_size == 500ull << 20);
  CHECK_FALSE(from_env.direct_mode);
  CHECK(from_env.basedirs == std::vector<std::string>{"/a/b", "/a"});  // longest first
  REQUIRE(from_env.redis);
  CHECK(from_env.redis->port == 6380);
  CHECK(from_env.redis->db == 4);
  CHECK(from_env.redis->password == "s3cret");
  CHECK(from_env.redis->ttl_seconds == 60);
  CHECK_FALSE(from_env.redis->read_only);
  CHECK_FALSE(read_cache_config(std::nullopt, Environment({"SCCACHE_CACHE=off"})).enabled);
}

TEST_CASE("bad cache settings name the file, line and key, or the variable") {
  auto error_of = [](const std::string& text) {
    return config_error_of([&] {
      ConfigDoc doc(text);
      read_cache_config(doc.root(), Environment({"HOME=/h"}));
    });
  };
  CHECK_THAT(error_of("[cache.disk]\nsize = 0\n"),
             Catch::Contains("test.conf:2") && Catch::Contains("cache.disk.size"));
  CHECK_THAT(error_of("[cache.disk]\nrw_mode = \"RW\"\n"), Catch::Contains("cache.disk.rw_mode"));
  CHECK_THAT(error_of("[cache.redis]\nendpoint = \"rediss://h\"\n"),
             Catch::Contains("cache.redis.endpoint"));
  CHECK_THAT(error_of("[cache.redis]\ndb = 1\n"), Catch::Contains("cache.redis.endpoint"));
  CHECK_THAT(error_of("[cache]\nbasedirs = [\"relative\"]\n"), Catch::Contains("cache.basedirs"));
  CHECK_THAT(error_of("[cache.disk]\nbogus = 1\n"), Catch::Contains("cache.disk.bogus"));
  const std::string secret =
      error_of("[cache.redis]\nendpoint = \"redis://:hunter2@host:99999\"\n");
  CHECK_THAT(secret, Catch::Contains("port"));
  CHECK(secret.find("hunter2") == std::string::npos);
  const std::string env_error = config_error_of(
      [] { read_cache_config(std::nullopt, Environment({"SCCACHE_CACHE_SIZE=lots"})); });
  CHECK_THAT(env_error, Catch::Contains("SCCACHE_CACHE_SIZE"));
}
