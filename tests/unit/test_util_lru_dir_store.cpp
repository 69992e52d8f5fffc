// util::LruDirStore: entries are committed whole, the store stays within max_bytes by evicting the
// least recently used (never the one just committed), an entry larger than the store is refused,
// and temp files a crashed writer left are swept once stale.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "util/lru_dir_store.hpp"

#include "support/test_support.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

// Writes `size` bytes into a new temp file of the store and commits it as `name`.
fs::path put(util::LruDirStore& store, const std::string& name, size_t size) {
  const fs::path temp = store.new_temp();
  write_file(temp, std::string(size, 'x'));
  return store.commit(temp, name);
}

// Sets a file's mtime to `seconds` after the epoch: the store's notion of "last used".
void set_used_at(const fs::path& path, time_t seconds) {
  const timespec times[2] = {{seconds, 0}, {seconds, 0}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

std::vector<std::string> entries(const util::LruDirStore& store) {
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(store.dir())) {
    const std::string name = fs::relative(e.path(), store.dir()).string();
    if (e.is_regular_file() && name.front() != '.') {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("LruDirStore commits entries whole and counts their bytes") {
  TempDir dir;
  util::LruDirStore store(dir / "store", 1000);
  CHECK_FALSE(fs::exists(dir / "store"));  // nothing touched until written
  CHECK(store.total_bytes() == 0);
  const fs::path a = put(store, "a", 100);
  CHECK(a == dir / "store" / "a");
  CHECK(read_file(a) == std::string(100, 'x'));
  put(store, "ab/cdef", 200);  // a name may hold '/'
  CHECK(read_file(store.path("ab/cdef")).size() == 200);
  CHECK(store.total_bytes() == 300);
  CHECK(entries(store) == std::vector<std::string>{"a", "ab/cdef"});
  CHECK(store.touch("a"));
  CHECK_FALSE(store.touch("missing"));
  CHECK(store.remove("a"));
  CHECK_FALSE(store.remove("a"));
  CHECK(store.total_bytes() == 200);
}

TEST_CASE("LruDirStore evicts the least recently used entries first") {
  TempDir dir;
  util::LruDirStore store(dir / "store", 300);
  put(store, "a", 100);
  put(store, "b", 100);
  put(store, "c", 100);
  set_used_at(store.path("a"), 1000);
  set_used_at(store.path("b"), 2000);
  set_used_at(store.path("c"), 3000);
  REQUIRE(store.touch("a"));  // a is now the most recently used
  put(store, "d", 100);
  CHECK(entries(store) == std::vector<std::string>{"a", "c", "d"});
  CHECK(store.total_bytes() == 300);

  // An entry that needs the room of two evicts the two oldest.
  set_used_at(store.path("a"), 1000);
  set_used_at(store.path("c"), 2000);
  set_used_at(store.path("d"), 3000);
  put(store, "e", 200);
  CHECK(entries(store) == std::vector<std::string>{"d", "e"});
}

TEST_CASE("LruDirStore never evicts the entry it just committed, even when it is the oldest") {
  TempDir dir;
  util::LruDirStore store(dir / "store", 250);
  put(store, "newer", 100);
  set_used_at(store.path("newer"), 5000);
  // A temp file written long ago, committed now: its mtime says it is the oldest.
  const fs::path temp = store.new_temp();
  write_file(temp, std::string(200, 'y'));
  set_used_at(temp, 1000);
  store.commit(temp, "committed");
  CHECK(entries(store) == std::vector<std::string>{"committed"});
}

TEST_CASE("LruDirStore refuses an entry larger than the whole store") {
  TempDir dir;
  util::LruDirStore store(dir / "store", 100);
  put(store, "small", 50);
  const fs::path temp = store.new_temp();
  write_file(temp, std::string(101, 'z'));
  try {
    store.commit(temp, "huge");
    FAIL("an entry larger than the store was committed");
  } catch (const util::EntryTooLarge& e) {
    CHECK(e.size == 101);
    CHECK(e.max_bytes == 100);
  }
  CHECK_FALSE(fs::exists(temp));
  CHECK(entries(store) == std::vector<std::string>{"small"});
}

TEST_CASE("LruDirStore sweeps stale temp files and keeps fresh ones") {
  TempDir dir;
  util::LruDirStore store(dir / "store", 1000);
  const fs::path stale = store.new_temp();
  const fs::path fresh = store.new_temp();
  CHECK(stale.filename().string().rfind(".tmp-", 0) == 0);
  set_used_at(stale, ::time(nullptr) - 2 * 3600);
  write_file(fresh, std::string(5000, 'w'));  // temp files never count against max_bytes
  CHECK(store.evict() == 0);
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(fresh));
  CHECK(store.total_bytes() == 0);
}

TEST_CASE("LruDirStore stays within max_bytes when processes commit at once") {
  TempDir dir;
  const fs::path root = dir / "store";
  constexpr int k_processes = 4;
  constexpr int k_entries = 25;
  std::vector<pid_t> children;
  for (int p = 0; p < k_processes; ++p) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int code = 0;
      try {
        util::LruDirStore store(root, 1000);
        for (int i = 0; i < k_entries; ++i) {
          put(store, std::to_string(p) + "-" + std::to_string(i), 100);
        }
      } catch (...) {
        code = 1;
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  util::LruDirStore store(root, 1000);
  CHECK(store.total_bytes() <= 1000);
  CHECK(store.total_bytes() > 0);
}
