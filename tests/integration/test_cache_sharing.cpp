// One compile cache shared: by two local servers under make -j, and by two machines through a
// real redis-server (also stopped and hung mid-build, which must cost no build).
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "support/cache_machine.hpp"
#include "support/redis_server.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

TEST_CASE("make -j on one cache directory, from two servers: every rebuild object a hit") {
  TempDir dir("sccache-cache-test");
  CacheMachine first(dir / "one", {{"SCCACHE_DIR", (dir / "shared-cache").string()}});
  CacheMachine second(dir / "two", {{"SCCACHE_DIR", (dir / "shared-cache").string()}});
  std::string objects;
  for (int i = 0; i < 24; ++i) {
    write_file(first.src() / fmt::format("u{}.c", i),
               fmt::format("#include <string.h>\n#include \"scale.h\"\n"
                           "int u{0}(const char* s) {{ return (int)strlen(s) * scale({0}); }}\n",
                           i));
    objects += fmt::format(" u{}.o", i);
  }
  write_file(first.src() / "scale.h", k_header);
  write_file(
      first.src() / "Makefile",
      "all:" + objects + "\n%.o: %.c\n\t$(CC) -O2 -MMD -c $< -o $@\nclean:\n\trm -f *.o *.d\n");
  settle(first.src());  // depend mode stores nothing read within a second of its compile
  const std::string cc = "CC=" + CacheMachine::sccache().string() + " gcc";
  auto make = [&](CacheMachine& m) {
    std::map<std::string, std::string> env = m.env;
    return run({"make", "-j8", cc}, env, first.src());
  };
  REQUIRE(make(first).exit_code == 0);
  std::map<std::string, std::string> built;
  for (int i = 0; i < 24; ++i) {
    built[fmt::format("u{}.o", i)] = read_file(first.src() / fmt::format("u{}.o", i));
  }
  REQUIRE(run({"make", "clean"}, {}, first.src()).exit_code == 0);
  REQUIRE(make(second).exit_code == 0);  // another server, the same cache
  for (const auto& [name, bytes] : built) {
    CHECK(read_file(first.src() / name) == bytes);
  }
  CHECK(first.stats().misses == 24);
  CacheStats s = second.stats();
  CHECK(s.hits == 24);
  CHECK(s.misses == 0);
  // Both at once on a clean tree: still right.
  REQUIRE(run({"make", "clean"}, {}, first.src()).exit_code == 0);
  std::vector<std::string> half = {"make", "-j4", cc};
  for (int i = 0; i < 12; ++i) {
    half.push_back(fmt::format("u{}.o", i));
  }
  ChildProcess a(half, first.env, first.src());
  RunResult b = make(second);
  CHECK(a.wait(std::chrono::seconds(120)) == 0);
  CHECK(b.exit_code == 0);
  for (const auto& [name, bytes] : built) {
    CHECK(read_file(first.src() / name) == bytes);
  }
}

TEST_CASE("Redis shared by two machines: a hit from Redis fills the local cache") {
  RedisServer redis;
  TempDir dir("sccache-cache-test");
  const std::map<std::string, std::string> redis_env = {
      {"SCCACHE_REDIS_ENDPOINT", fmt::format("redis://127.0.0.1:{}", redis.port())},
      {"SCCACHE_REDIS_KEY_PREFIX", "test"}};
  CacheMachine a(dir / "a", redis_env);
  CacheMachine b(dir / "b", redis_env);
  for (CacheMachine* m : {&a, &b}) {
    write_file(m->src() / "a.c", k_c_source);
    write_file(m->src() / "scale.h", k_header);
  }
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o", "-MMD"};
  REQUIRE(a.compile(args).exit_code == 0);
  CHECK(redis.dbsize() >= 1);
  RunResult r = b.compile(args);
  REQUIRE(r.exit_code == 0);
  CHECK(read_file(b.src() / "a.o") == read_file(a.src() / "a.o"));
  CHECK(read_file(b.src() / "a.d") == read_file(a.src() / "a.d"));
  CacheStats sb = b.stats();
  CHECK(sb.hits == 1);
  CHECK(sb.remote == 1);
  CHECK(sb.misses == 0);
  // Now on b's disk: hits without Redis.
  redis.stop();
  fs::remove(b.src() / "a.o");
  REQUIRE(b.compile(args).exit_code == 0);
  CHECK(read_file(b.src() / "a.o") == read_file(a.src() / "a.o"));
  sb = b.stats();
  CHECK(sb.hits == 2);
  CHECK(sb.remote == 1);
  CHECK(b.stats().json->getValue<std::string>("cache_location").find("Redis") != std::string::npos);
}

TEST_CASE("Redis stopped or hung mid-build: compiles go on as misses, counted") {
  RedisServer redis;
  TempDir dir("sccache-cache-test");
  CacheMachine m(dir.path(),
                 {{"SCCACHE_REDIS_ENDPOINT", fmt::format("redis://127.0.0.1:{}", redis.port())},
                  {"SCCACHE_REDIS_TIMEOUT_MS", "300"}});
  auto compile_n = [&](int i) {
    const std::string name = fmt::format("n{}.c", i);
    write_file(m.src() / name, fmt::format("int n{0}(void) {{ return {0}; }}\n", i));
    const auto start = std::chrono::steady_clock::now();
    RunResult r = m.compile({"gcc", "-O2", "-c", name});
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    const std::string ours = read_file(m.src() / fmt::format("n{}.o", i));
    REQUIRE(local_compile({"gcc", "-O2", "-c", name}, m.src()).exit_code == 0);
    CHECK(read_file(m.src() / fmt::format("n{}.o", i)) == ours);
    return std::chrono::steady_clock::now() - start;
  };
  compile_n(0);
  compile_n(1);
  redis.stop();
  for (int i = 2; i < 6; ++i) {
    compile_n(i);
  }
  CacheStats s = m.stats();
  CHECK(s.misses == 6);
  CHECK(s.read_errors + s.timeouts + s.write_errors >= 1);
  // Hung: accepted, never answered. The timeout bounds each compile's wait.
  redis.start();
  redis.pause();
  const auto hung = compile_n(7);
  redis.resume();
  CHECK(hung < std::chrono::seconds(5));
  CHECK(m.stats().misses == 7);
}
