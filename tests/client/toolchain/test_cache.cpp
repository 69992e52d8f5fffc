// The client's toolchain cache: hits, LRU eviction, size limit, one packaging under concurrency.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sys/stat.h>
#include <sys/time.h>

#include <catch2/catch.hpp>

#include "util/sha256.hpp"

#include "client/toolchain/toolchain_cache.hpp"
#include "client/toolchain/toolchain_test_util.hpp"

namespace tc = sccache::toolchain;
namespace fs = std::filesystem;
using namespace sccache::test;
using namespace sccache::test::toolchain;

namespace {

constexpr uint64_t k_big = 10ull << 30;

void require_gcc() {
  if (!installed("/usr/bin/gcc") || !installed("/usr/bin/g++")) {
    skip_whole_binary("gcc/g++ are not installed in /usr/bin");
  }
}

struct stat stat_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st;
}

void set_mtime(const fs::path& path, time_t seconds) {
  timeval times[2] = {{seconds, 0}, {seconds, 0}};
  REQUIRE(::utimes(path.c_str(), times) == 0);
}

// Archives in `dir` (the store's own dot files, such as its lock, are not counted).
size_t count_files(const fs::path& dir) {
  size_t n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    n += entry.path().filename().string().starts_with(".") ? 0 : 1;
  }
  return n;
}

// A fake archive of `size` bytes committed to `cache` under a made-up id, last used at `mtime`.
std::string add_fake(tc::ToolchainCache& cache, char fill, uint64_t size, time_t mtime) {
  std::string id(64, fill);
  fs::path temp = cache.new_temp_archive();
  write_file(temp, std::string(size, fill));
  fs::path stored = cache.commit_archive(temp, id, size);
  set_mtime(stored, mtime);
  return id;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

TEST_CASE("a cached toolchain is found again without repackaging", "[cache][gcc]") {
  require_gcc();
  TempDir root("sccache-tc-cache");
  auto cold = std::chrono::steady_clock::now();
  auto first = tc::find_or_package_toolchain("/usr/bin/g++", {}, root.path(), k_big);
  double cold_ms = ms_since(cold);
  REQUIRE(first);
  REQUIRE(first->packaged);
  REQUIRE(first->remote_compiler == "/usr/bin/g++");
  REQUIRE(first->archive == root / "tc" / (first->id + ".tar.zst"));
  REQUIRE(first->id == sha256sum(first->archive));
  REQUIRE(first->size == fs::file_size(first->archive));

  set_mtime(first->archive, 1000);
  struct stat before = stat_of(first->archive);
  auto second = tc::find_or_package_toolchain("/usr/bin/g++", {}, root.path(), k_big);
  REQUIRE(second);
  REQUIRE_FALSE(second->packaged);
  REQUIRE(second->id == first->id);
  REQUIRE(second->archive == first->archive);
  struct stat after = stat_of(first->archive);
  REQUIRE(after.st_ino == before.st_ino);
  REQUIRE(after.st_mtime > 1000);  // bumped: most recently used

  constexpr int lookups = 200;
  auto warm = std::chrono::steady_clock::now();
  for (int i = 0; i < lookups; ++i) {
    REQUIRE_FALSE(tc::find_or_package_toolchain("/usr/bin/g++", {}, root.path(), k_big)->packaged);
  }
  double lookup_ms = ms_since(warm) / lookups;
  std::printf(
      "[measure] g++ toolchain: %llu bytes, cold packaging %.0f ms, cached lookup %.3f ms\n",
      static_cast<unsigned long long>(first->size), cold_ms, lookup_ms);

  // An index entry whose archive was evicted means: package again.
  fs::remove(first->archive);
  auto third = tc::find_or_package_toolchain("/usr/bin/g++", {}, root.path(), k_big);
  REQUIRE(third->packaged);
  REQUIRE(third->id == first->id);
  REQUIRE(fs::exists(third->archive));
}

TEST_CASE("the cache evicts the least recently used archives", "[cache]") {
  TempDir root("sccache-tc-lru");
  tc::ToolchainCache cache(root.path(), 1000);
  std::string a = add_fake(cache, 'a', 400, 1000);
  std::string b = add_fake(cache, 'b', 400, 2000);
  REQUIRE(cache.total_bytes() == 800);
  std::string c = add_fake(cache, 'c', 400, 3000);  // 1200 > 1000: a goes
  REQUIRE(cache.total_bytes() == 800);
  REQUIRE_FALSE(fs::exists(cache.archive_path(a)));
  REQUIRE(fs::exists(cache.archive_path(b)));

  REQUIRE(cache.touch_archive(b));  // b is now newer than c
  REQUIRE_FALSE(cache.touch_archive(a));
  std::string d = add_fake(cache, 'd', 300, 4000);  // 1100: c goes
  REQUIRE_FALSE(fs::exists(cache.archive_path(c)));
  REQUIRE(fs::exists(cache.archive_path(b)));
  REQUIRE(fs::exists(cache.archive_path(d)));
  REQUIRE(cache.total_bytes() == 700);

  // A new archive is never its own victim; everything older goes if need be.
  std::string e = add_fake(cache, 'e', 1000, 5000);
  REQUIRE(cache.total_bytes() == 1000);
  REQUIRE(fs::exists(cache.archive_path(e)));
  REQUIRE(count_files(root / "tc") == 1);

  // Bigger than the whole cache: refused, nothing left behind.
  fs::path temp = cache.new_temp_archive();
  write_file(temp, std::string(1001, 'f'));
  REQUIRE_THROWS_AS(cache.commit_archive(temp, std::string(64, 'f'), 1001), tc::ToolchainTooLarge);
  REQUIRE_FALSE(fs::exists(temp));
  REQUIRE(count_files(root / "tc") == 1);
}

TEST_CASE("index entries are small files and malformed ones are misses", "[cache]") {
  TempDir root("sccache-tc-index");
  tc::ToolchainCache cache(root.path(), 1000);
  std::string key = util::sha256_hex("k");
  REQUIRE_FALSE(cache.read_index(key));
  cache.write_index(key, {tc::IndexRecord::Kind::archive, std::string(64, '0'), 42});
  auto record = cache.read_index(key);
  REQUIRE(record);
  REQUIRE(record->id == std::string(64, '0'));
  REQUIRE(record->size == 42);
  REQUIRE(count_files(root / "compilers") == 1);  // no temp file left
  write_file(root / "compilers" / key, "archive ../../etc/passwd 1\n");
  REQUIRE_FALSE(cache.read_index(key));
}

TEST_CASE("LRU eviction through the public API keeps the cache within max_bytes", "[cache][gcc]") {
  require_gcc();
  TempDir root("sccache-tc-lru-api");
  uint64_t gxx_size = fs::file_size(packaged_once("/usr/bin/g++").archive);
  uint64_t gcc_size = fs::file_size(packaged_once("/usr/bin/gcc").archive);
  uint64_t max = gxx_size + gcc_size - 1;  // room for one of them only

  auto gxx = tc::find_or_package_toolchain("/usr/bin/g++", {}, root.path(), max);
  set_mtime(gxx->archive, 1000);
  auto gcc = tc::find_or_package_toolchain("/usr/bin/gcc", {}, root.path(), max);
  REQUIRE(gcc->packaged);
  REQUIRE_FALSE(fs::exists(gxx->archive));  // the older one went
  REQUIRE(fs::exists(gcc->archive));
  tc::ToolchainCache cache(root.path(), max);
  REQUIRE(cache.total_bytes() <= max);

  auto again = tc::find_or_package_toolchain("/usr/bin/g++", {}, root.path(), max);
  REQUIRE(again->packaged);  // its index entry pointed at an evicted archive
  REQUIRE(again->id == gxx->id);
  REQUIRE_FALSE(fs::exists(gcc->archive));
  REQUIRE(cache.total_bytes() <= max);
}

TEST_CASE("a toolchain larger than the whole cache is refused", "[cache][gcc]") {
  require_gcc();
  TempDir root("sccache-tc-small");
  constexpr uint64_t tiny = 1 << 20;
  try {
    tc::find_or_package_toolchain("/usr/bin/gcc", {}, root.path(), tiny);
    FAIL("expected ToolchainTooLarge");
  } catch (const tc::ToolchainTooLarge& e) {
    REQUIRE(e.max_bytes == tiny);
    REQUIRE(e.size > tiny);
  }
  REQUIRE(count_files(root / "tc") == 0);  // no archive, no temp file
  // Remembered: the next compile does not package again just to find out.
  tc::ToolchainCache cache(root.path(), tiny);
  auto record = cache.read_index(tc::weak_key("compiler", "/usr/bin/gcc", "/usr/bin/gcc"));
  REQUIRE(record);
  REQUIRE(record->kind == tc::IndexRecord::Kind::too_large);
  REQUIRE_THROWS_AS(tc::find_or_package_toolchain("/usr/bin/gcc", {}, root.path(), tiny),
                    tc::ToolchainTooLarge);
  REQUIRE(count_files(root / "tc") == 0);
  // A bigger cache takes it.
  auto fits = tc::find_or_package_toolchain("/usr/bin/gcc", {}, root.path(), k_big);
  REQUIRE(fits->packaged);
}

// Run by the test below in separate processes; not part of the normal run ("[.]").
TEST_CASE("toolchain helper: find_or_package", "[.][helper]") {
  const char* root = std::getenv("SCCACHE_TC_HELPER_ROOT");
  const char* out = std::getenv("SCCACHE_TC_HELPER_OUT");
  REQUIRE(root != nullptr);
  REQUIRE(out != nullptr);
  auto toolchain = tc::find_or_package_toolchain("/usr/bin/g++", {}, root, k_big);
  REQUIRE(toolchain);
  std::ofstream(out) << (toolchain->packaged ? 1 : 0) << " " << toolchain->id << "\n";
}

TEST_CASE("concurrent clients package a compiler once", "[cache][gcc]") {
  require_gcc();
  TempDir root("sccache-tc-concurrent");
  fs::path self = fs::read_symlink("/proc/self/exe");
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (int i = 0; i < 4; ++i) {
    children.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{self.string(), "toolchain helper: find_or_package"},
        std::map<std::string, std::string>{
            {"SCCACHE_TC_HELPER_ROOT", root.path().string()},
            {"SCCACHE_TC_HELPER_OUT", (root / ("result-" + std::to_string(i))).string()}}));
  }
  int packaged = 0;
  std::set<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    int code = children[i]->wait(std::chrono::minutes(5));
    INFO(children[i]->stdout_text() << children[i]->stderr_text());
    REQUIRE(code == 0);
    int flag = 0;
    std::string id;
    std::ifstream(root / ("result-" + std::to_string(i))) >> flag >> id;
    packaged += flag;
    ids.insert(id);
  }
  REQUIRE(packaged == 1);
  REQUIRE(ids.size() == 1);
  REQUIRE(count_files(root / "tc") == 1);  // one archive, no temp files
  REQUIRE(fs::exists(root / "tc" / (*ids.begin() + ".tar.zst")));
}
