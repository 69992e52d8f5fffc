#include "util/lru_dir_store.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <tuple>
#include <vector>

#include "util/file_lock.hpp"
#include "util/fs.hpp"

namespace util {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_temp_prefix = ".tmp-";
constexpr auto k_stale_temp_age = std::chrono::hours(1);

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

struct Entry {
  int64_t mtime = 0;
  std::string name;  // relative to the store's directory
  uint64_t size = 0;
};

// Every entry below `dir`; temp files older than `stale_ns` are removed on the way.
std::vector<Entry> list_entries(const fs::path& dir, int64_t stale_ns, uint64_t* total) {
  std::vector<Entry> entries;
  *total = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string leaf = it->path().filename().string();
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) {
      continue;
    }
    if (leaf.starts_with(".")) {
      if (S_ISDIR(st.st_mode)) {
        it.disable_recursion_pending();
      } else if (leaf.starts_with(k_temp_prefix) && S_ISREG(st.st_mode) && stale_ns != 0 &&
                 mtime_ns(st) < stale_ns) {
        std::error_code ignored;
        fs::remove(it->path(), ignored);
      }
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      continue;
    }
    entries.push_back({mtime_ns(st), it->path().lexically_relative(dir).string(),
                       static_cast<uint64_t>(st.st_size)});
    *total += static_cast<uint64_t>(st.st_size);
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw std::runtime_error("cannot list " + dir.string() + ": " + ec.message());
  }
  return entries;
}

}  // namespace

EntryTooLarge::EntryTooLarge(uint64_t size_, uint64_t max_bytes_)
    : std::runtime_error("an entry of " + std::to_string(size_) + " bytes exceeds the store's " +
                         std::to_string(max_bytes_) + " bytes"),
      size(size_),
      max_bytes(max_bytes_) {}

LruDirStore::LruDirStore(fs::path dir, uint64_t max_bytes)
    : m_dir(std::move(dir)), m_max_bytes(max_bytes) {}

void LruDirStore::ensure_dir() const {
  std::error_code ec;
  fs::create_directories(m_dir, ec);
  if (ec) {
    throw std::runtime_error("cannot create " + m_dir.string() + ": " + ec.message());
  }
}

fs::path LruDirStore::path(std::string_view name) const {
  return m_dir / name;
}

bool LruDirStore::touch(std::string_view name) const {
  return ::utimensat(AT_FDCWD, path(name).c_str(), nullptr, 0) == 0;
}

bool LruDirStore::remove(std::string_view name) const {
  std::error_code ec;
  return fs::remove(path(name), ec);
}

fs::path LruDirStore::new_temp(unsigned mode) {
  ensure_dir();
  return make_temp_file(m_dir, k_temp_prefix, mode);
}

fs::path LruDirStore::commit(const fs::path& temp, std::string_view name) {
  std::error_code ec;
  const uint64_t size = fs::file_size(temp, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw std::runtime_error("cannot stat " + temp.string() + ": " + ec.message());
  }
  if (size > m_max_bytes) {
    fs::remove(temp, ec);
    throw EntryTooLarge(size, m_max_bytes);
  }
  const fs::path final_path = path(name);
  if (final_path.parent_path() != m_dir) {
    fs::create_directories(final_path.parent_path(), ec);
  }
  if (::rename(temp.c_str(), final_path.c_str()) != 0) {
    const int error = errno;
    fs::remove(temp, ec);
    throw std::runtime_error("cannot store " + final_path.string() + ": " + std::strerror(error));
  }
  evict(name);
  return final_path;
}

size_t LruDirStore::evict(std::string_view keep) {
  ensure_dir();
  FileLock evicting(m_dir / ".lock");
  const auto stale_before = std::chrono::system_clock::now() - k_stale_temp_age;
  const int64_t stale_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(stale_before.time_since_epoch()).count();
  uint64_t total = 0;
  std::vector<Entry> entries = list_entries(m_dir, stale_ns, &total);
  if (total <= m_max_bytes) {
    return 0;
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.mtime, a.name) < std::tie(b.mtime, b.name);
  });
  size_t removed = 0;
  for (const auto& entry : entries) {
    if (total <= m_max_bytes) {
      break;
    }
    if (entry.name == keep) {
      continue;
    }
    std::error_code ec;
    if (fs::remove(m_dir / entry.name, ec)) {
      total -= entry.size;
      ++removed;
    }
  }
  return removed;
}

uint64_t LruDirStore::total_bytes() const {
  uint64_t total = 0;
  list_entries(m_dir, 0, &total);
  return total;
}

}  // namespace util
