// The compile cache's storage: entries (encode, decode, damage) and the disk level (atomic
// writes, LRU within the size, shard counts, threads).
#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "client/cache/cache_entry.hpp"
#include "client/cache/disk_store.hpp"
#include "support/test_support.hpp"

using namespace sccache;
using namespace sccache::cache;
using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

CompileResult sample_result() {
  CompileResult result;
  result.stdout_data = "out\n";
  result.stderr_data = std::string("a.c:1: warning: \x1b[01mbold\x1b[m\0tail", 33);
  result.files.push_back({"object", 0644,
                          std::string("\x7f"
                                      "ELF\0\0\x01binary",
                                      14)});
  result.files.push_back({"depfile", 0600, "a.o: a.c h.h\n"});
  return result;
}

// A key of 64 hex digits starting with `shard`.
std::string key_in(char shard, int n) {
  std::string key = std::string(1, shard) + fmt::format("{:063x}", n) + "R";
  return key;
}

}  // namespace

TEST_CASE("a result entry round-trips every byte") {
  const CompileResult in = sample_result();
  const CompileResult out = decode_result(encode_result(in));
  CHECK(out.stdout_data == in.stdout_data);
  CHECK(out.stderr_data == in.stderr_data);
  REQUIRE(out.files.size() == 2);
  CHECK(out.file("object")->content == in.files[0].content);
  CHECK(out.file("object")->mode == 0644);
  CHECK(out.file("depfile")->content == in.files[1].content);
  CHECK(out.file("depfile")->mode == 0600);
  CHECK(out.file("dwo") == nullptr);
}

TEST_CASE("a truncated, damaged or foreign entry is CorruptEntry, never a result") {
  CompileResult big = sample_result();
  big.files[0].content = std::string(200000, 'x') + "end";
  const std::string bytes = encode_result(big);
  for (size_t cut : {size_t{0}, size_t{1}, size_t{5}, bytes.size() / 2, bytes.size() - 1}) {
    INFO("cut at " << cut);
    CHECK_THROWS_AS(decode_result(bytes.substr(0, cut)), CorruptEntry);
  }
  for (size_t at = 4; at < bytes.size(); at += std::max<size_t>(1, bytes.size() / 7)) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x5a);
    INFO("flipped byte " << at);
    CHECK_THROWS_AS(decode_result(flipped), CorruptEntry);
  }
  CHECK_THROWS_AS(decode_result(bytes + "x"), CorruptEntry);
  CHECK_THROWS_AS(decode_result(encode_fields("sccache-manifest-1", {"a", "b"})), CorruptEntry);
  CHECK_THROWS_AS(decode_result("plain text, not zstd"), CorruptEntry);
}

TEST_CASE("the disk store writes whole entries and finds them again") {
  TempDir dir;
  DiskStore store(dir / "cache", 1 << 20, false);
  const std::string key = key_in('a', 1);
  CHECK(store.get(key).status == ReadStatus::miss);
  REQUIRE(store.put(key, "payload").status == WriteStatus::stored);
  ReadResult got = store.get(key);
  REQUIRE(got.status == ReadStatus::hit);
  CHECK(got.bytes == "payload");
  CHECK(store.path_of(key) == dir / "cache" / "a" / "0" / key);
  CHECK(store.size() == 7);
  // Replacing an entry counts its new size only.
  REQUIRE(store.put(key, "longer payload").status == WriteStatus::stored);
  CHECK(store.size() == 14);
  store.remove(key);
  CHECK(store.get(key).status == ReadStatus::miss);
  CHECK(store.size() == 0);
  // No temp files left behind.
  for (const auto& entry : fs::recursive_directory_iterator(dir / "cache")) {
    CHECK(entry.path().filename().string().rfind(".tmp-", 0) != 0);
  }
}

TEST_CASE("the disk store stays within its size, least recently used out first") {
  TempDir dir;
  // 16 shards of 10 000 bytes: a shard holds nine 1000-byte entries after a cleanup.
  DiskStore store(dir / "cache", 160'000, false);
  const std::string payload(1000, 'p');
  const std::string kept = key_in('3', 0);
  REQUIRE(store.put(kept, payload).status == WriteStatus::stored);
  for (int i = 1; i <= 60; ++i) {
    REQUIRE(store.put(key_in('3', i), payload).status == WriteStatus::stored);
    REQUIRE(store.get(kept).status == ReadStatus::hit);  // used all along: never the oldest
  }
  CHECK(store.size() <= 10'000);
  CHECK(store.get(kept).status == ReadStatus::hit);
  CHECK(store.get(key_in('3', 1)).status == ReadStatus::miss);  // the oldest went
  CHECK(store.get(key_in('3', 60)).status == ReadStatus::hit);  // the newest stayed
  // The count matches what is on disk.
  uint64_t on_disk = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "cache" / "3")) {
    if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') {
      on_disk += entry.file_size();
    }
  }
  CHECK(store.size() == on_disk);
}

TEST_CASE("a lost shard count is rebuilt from the shard") {
  TempDir dir;
  DiskStore store(dir / "cache", 1 << 20, false);
  REQUIRE(store.put(key_in('b', 1), "12345").status == WriteStatus::stored);
  REQUIRE(store.put(key_in('b', 2), "123").status == WriteStatus::stored);
  fs::remove(dir / "cache" / "b" / ".size");
  REQUIRE(store.put(key_in('b', 3), "1").status == WriteStatus::stored);
  CHECK(store.size() == 9);
}

TEST_CASE("a read-only disk store never writes, an entry larger than a shard is skipped") {
  TempDir dir;
  DiskStore writer(dir / "cache", 16'000, false);
  REQUIRE(writer.put(key_in('c', 1), "x").status == WriteStatus::stored);
  DiskStore reader(dir / "cache", 16'000, true);
  CHECK(reader.put(key_in('c', 2), "y").status == WriteStatus::skipped);
  CHECK(reader.get(key_in('c', 1)).status == ReadStatus::hit);
  CHECK(reader.get(key_in('c', 2)).status == ReadStatus::miss);
  CHECK(writer.put(key_in('c', 3), std::string(1001, 'z')).status == WriteStatus::skipped);
}

TEST_CASE("an unwritable cache directory is a write error, not an exception") {
  TempDir dir;
  write_file(dir / "file", "not a directory");
  DiskStore store(dir / "file" / "cache", 1 << 20, false);
  WriteResult put = store.put(key_in('d', 1), "x");
  CHECK(put.status == WriteStatus::error);
  CHECK_FALSE(put.error.empty());
  CHECK(store.get(key_in('d', 1)).status == ReadStatus::miss);
}

TEST_CASE("threads writing and reading one store see whole entries only") {
  TempDir dir;
  DiskStore store(dir / "cache", 64 << 20, false);
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string key = key_in("0123456789abcdef"[i % 16], i % 10);
        const std::string value(1000 + (i % 10) * 100, static_cast<char>('a' + i % 10));
        store.put(key, value);
        ReadResult got = store.get(key);
        if (got.status != ReadStatus::hit || got.bytes != value) {
          bad++;
        }
        (void)t;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  CHECK(bad == 0);
  uint64_t on_disk = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "cache")) {
    if (entry.is_regular_file() && entry.path().filename().string()[0] != '.') {
      on_disk += entry.file_size();
    }
  }
  CHECK(store.size() == on_disk);
}
