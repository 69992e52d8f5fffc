// The compile cache's failures and controls with the real binaries: damaged entries, a full
// disk, the size limit, SCCACHE_RECACHE / SCCACHE_NO_CACHE, failed compiles and time macros.
// No failure of the cache ever fails a build or gives a wrong object.
#include <fstream>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "support/cache_machine.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

TEST_CASE("damaged entries are misses, removed and counted; the object is right") {
  TempDir dir("sccache-cache-test");
  CacheMachine m(dir.path());
  m.write_sample_sources();
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  REQUIRE(local_compile(args, m.src()).exit_code == 0);
  const std::string reference = read_file(m.src() / "a.o");
  REQUIRE(m.compile(args).exit_code == 0);
  // Damage every entry: truncate some, flip bytes in the others.
  int n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(m.cache())) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name[0] == '.') {
      continue;
    }
    std::string bytes = read_file(entry.path());
    if (n++ % 2 == 0) {
      bytes.resize(bytes.size() / 2);
    } else {
      bytes[bytes.size() / 2] ^= 0x20;
    }
    write_file(entry.path(), bytes);
  }
  REQUIRE(n >= 1);
  fs::remove(m.src() / "a.o");
  RunResult r = m.compile(args);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(read_file(m.src() / "a.o") == reference);
  CacheStats s = m.stats();
  CHECK(s.read_errors >= 1);
  CHECK(s.hits == 0);
  // Stored afresh: the next compile is a hit with the right object.
  fs::remove(m.src() / "a.o");
  REQUIRE(m.compile(args).exit_code == 0);
  CHECK(read_file(m.src() / "a.o") == reference);
  CHECK(m.stats().hits == 1);
}

TEST_CASE("a full cache disk fails no compile") {
  if (::geteuid() != 0) {
    skip_whole_binary("mounting a full disk needs root");
  }
  TempDir dir("sccache-cache-test");
  const fs::path full = dir / "full";
  fs::create_directories(full);
  REQUIRE(::mount("tmpfs", full.c_str(), "tmpfs", 0, "size=64k") == 0);
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{full};
  {
    std::ofstream filler(full / "filler", std::ios::binary);
    const std::string block(4096, 'f');
    for (int i = 0; i < 64 && filler; ++i) {
      filler << block;
    }
  }
  CacheMachine m(dir / "m", {{"SCCACHE_DIR", (full / "cache").string()}});
  m.write_sample_sources();
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  REQUIRE(local_compile(args, m.src()).exit_code == 0);
  const std::string reference = read_file(m.src() / "a.o");
  fs::remove(m.src() / "a.o");
  RunResult r = m.compile(args);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(read_file(m.src() / "a.o") == reference);
  CHECK(m.stats().write_errors >= 1);
}

TEST_CASE("the cache stays within SCCACHE_CACHE_SIZE, the newest entries kept") {
  TempDir dir("sccache-cache-test");
  CacheMachine m(dir.path(), {{"SCCACHE_CACHE_SIZE", "96K"}});
  for (int i = 0; i < 60; ++i) {
    write_file(m.src() / fmt::format("f{}.c", i),
               fmt::format("int f{0}(int x) {{ return x * {0} + {1}; }}\n"
                           "const char text{0}[] = \"{2}\";\n",
                           i, i * 3, std::string(200 + i * 7, 'a' + i % 26)));
  }
  settle(m.src());
  for (int i = 0; i < 60; ++i) {
    REQUIRE(m.compile({"gcc", "-O2", "-c", fmt::format("f{}.c", i)}).exit_code == 0);
  }
  uint64_t on_disk = 0;
  for (const auto& entry : fs::recursive_directory_iterator(m.cache())) {
    if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') {
      on_disk += entry.file_size();
    }
  }
  CHECK(on_disk <= 96 * 1024);
  CHECK(on_disk > 0);
  CacheStats s = m.stats();
  CHECK(s.json->getValue<uint64_t>("cache_size") == on_disk);
  CHECK(s.json->getValue<uint64_t>("max_cache_size") == 96 * 1024);
  // The last file compiled is still a hit.
  REQUIRE(m.compile({"gcc", "-O2", "-c", "f59.c"}).exit_code == 0);
  CHECK(m.stats().hits == 1);
}

TEST_CASE("SCCACHE_RECACHE, SCCACHE_NO_CACHE, failed compiles and __TIME__") {
  TempDir dir("sccache-cache-test");
  CacheMachine m(dir.path());
  m.write_sample_sources();
  const std::vector<std::string> args = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
  REQUIRE(m.compile(args).exit_code == 0);
  REQUIRE(m.compile(args, {{"SCCACHE_RECACHE", "1"}}).exit_code == 0);
  CacheStats s = m.stats();
  CHECK(s.recaches == 1);
  CHECK(s.hits == 0);
  CHECK(s.writes == 2);
  REQUIRE(m.compile(args, {{"SCCACHE_NO_CACHE", "1"}}).exit_code == 0);
  CHECK(m.stats().hits == 0);
  REQUIRE(m.compile(args).exit_code == 0);
  CHECK(m.stats().hits == 1);
  // A compile error is not kept: it is the compiler's, every time.
  write_file(m.src() / "bad.c", "int main(void) { return missing; }\n");
  for (int i = 0; i < 2; ++i) {
    RunResult bad = m.compile({"gcc", "-c", "bad.c", "-o", "bad.o"});
    CHECK(bad.exit_code == 1);
    CHECK(bad.err.find("missing") != std::string::npos);
    CHECK(bad.err == local_compile({"gcc", "-c", "bad.c", "-o", "bad.o"}, m.src()).err);
  }
  CHECK(m.stats().hits == 1);
  // __TIME__ changes every second: never cached.
  write_file(m.src() / "t.c", "const char* when = __TIME__;\n");
  age(m.src() / "t.c");
  REQUIRE(m.compile({"gcc", "-c", "t.c"}).exit_code == 0);
  REQUIRE(m.compile({"gcc", "-c", "t.c"}).exit_code == 0);
  s = m.stats();
  CHECK(s.hits == 1);
  CHECK(s.not_cached("time_macros") == 2);
  // A link is not a compile: not cached, and counted as such.
  REQUIRE(m.compile({"gcc", "a.o", "-o", "a.out"}).exit_code == 0);
  CHECK(m.stats().not_cached("not_compile") == 1);
}
