#include "client/cache/disk_store.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

#include "util/file_lock.hpp"
#include "util/fs.hpp"
#include "util/unique_fd.hpp"

namespace sccache::cache {
namespace fs = std::filesystem;

namespace {

constexpr int k_shards = 16;
constexpr std::string_view k_temp_prefix = ".tmp-";

std::string errno_text() {
  return std::strerror(errno);
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

struct ShardEntry {
  int64_t mtime_ns;
  fs::path path;
  uint64_t size;
};

// Every entry of a shard (temp files of crashed writers older than an hour go on the way).
std::vector<ShardEntry> list_shard(const fs::path& shard, uint64_t* total) {
  std::vector<ShardEntry> entries;
  *total = 0;
  const auto stale = std::chrono::system_clock::now() - std::chrono::hours(1);
  const int64_t stale_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(stale.time_since_epoch()).count();
  std::error_code ec;
  for (fs::recursive_directory_iterator it(shard, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      continue;
    }
    const int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
    const std::string leaf = it->path().filename().string();
    if (leaf.starts_with(".")) {
      if (leaf.starts_with(k_temp_prefix) && mtime < stale_ns) {
        ::unlink(it->path().c_str());
      }
      continue;
    }
    entries.push_back({mtime, it->path(), static_cast<uint64_t>(st.st_size)});
    *total += static_cast<uint64_t>(st.st_size);
  }
  return entries;
}

// The count in a shard's .size file (held locked by `lock`), or nullopt if it has none yet.
std::optional<uint64_t> read_count(const util::FileLock& lock) {
  char text[32];
  const ssize_t n = ::pread(lock.fd(), text, sizeof text - 1, 0);
  if (n <= 0) {
    return std::nullopt;
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text, text + n, value);
  if (ec != std::errc() || end == text) {
    return std::nullopt;
  }
  return value;
}

void write_count(const util::FileLock& lock, uint64_t value) {
  const std::string text = std::to_string(value) + "\n";
  if (::ftruncate(lock.fd(), 0) == 0) {
    const ssize_t written = ::pwrite(lock.fd(), text.data(), text.size(), 0);
    (void)written;  // a torn count is rebuilt by the next writer
  }
}

uint64_t current_count(const util::FileLock& lock, const fs::path& shard) {
  if (auto count = read_count(lock)) {
    return *count;
  }
  uint64_t total = 0;
  list_shard(shard, &total);
  return total;
}

// Drops the shard's least recently used entries until it holds at most `target` bytes; the new
// count.
uint64_t clean_shard(const fs::path& shard, uint64_t target) {
  uint64_t total = 0;
  std::vector<ShardEntry> entries = list_shard(shard, &total);
  std::sort(entries.begin(), entries.end(),
            [](const ShardEntry& a, const ShardEntry& b) { return a.mtime_ns < b.mtime_ns; });
  for (const auto& entry : entries) {
    if (total <= target) {
      break;
    }
    if (::unlink(entry.path.c_str()) == 0) {
      total -= entry.size;
    }
  }
  return total;
}

}  // namespace

DiskStore::DiskStore(fs::path dir, uint64_t max_bytes, bool read_only)
    : m_dir(std::move(dir)), m_max_bytes(max_bytes), m_read_only(read_only) {}

fs::path DiskStore::shard_of(std::string_view key) const {
  return m_dir / std::string(1, key.empty() ? '_' : key[0]);
}

fs::path DiskStore::path_of(std::string_view key) const {
  return shard_of(key) / std::string(1, key.size() > 1 ? key[1] : '_') / std::string(key);
}

std::string DiskStore::location() const {
  return fmt::format("Local disk: \"{}\"", m_dir.string());
}

ReadResult DiskStore::get(std::string_view key) {
  ReadResult result;
  const fs::path path = path_of(key);
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT || errno == ENOTDIR) {
      result.status = ReadStatus::miss;
    } else {
      result.status = ReadStatus::error;
      result.error = fmt::format("cannot open {}: {}", path.string(), errno_text());
    }
    return result;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    result.status = ReadStatus::error;
    result.error = fmt::format("cannot stat {}: {}", path.string(), errno_text());
    return result;
  }
  result.bytes.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < result.bytes.size()) {
    const ssize_t n = ::pread(fd.get(), result.bytes.data() + got, result.bytes.size() - got,
                              static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      result.status = ReadStatus::error;
      result.error = fmt::format("cannot read {}: {}", path.string(),
                                 n == 0 ? "shorter than its size" : errno_text());
      return result;
    }
    got += static_cast<size_t>(n);
  }
  // Just used: the last to go.
  ::futimens(fd.get(), nullptr);
  result.status = ReadStatus::hit;
  return result;
}

WriteResult DiskStore::put(std::string_view key, std::string_view bytes) {
  WriteResult result;
  if (m_read_only) {
    result.status = WriteStatus::skipped;
    return result;
  }
  const uint64_t shard_max = m_max_bytes / k_shards;
  if (bytes.size() > shard_max) {
    result.status = WriteStatus::skipped;  // would evict a whole shard for one entry
    return result;
  }
  const fs::path shard = shard_of(key);
  const fs::path final_path = path_of(key);
  fs::path temp;
  try {
    std::error_code ec;
    fs::create_directories(final_path.parent_path(), ec);
    if (ec) {
      throw std::runtime_error(
          fmt::format("cannot create {}: {}", final_path.parent_path().string(), ec.message()));
    }
    temp = util::make_temp_file(shard, k_temp_prefix, 0644);
    {
      util::UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CLOEXEC));
      if (!fd.valid() || !write_all(fd.get(), bytes)) {
        throw std::runtime_error(fmt::format("cannot write {}: {}", temp.string(), errno_text()));
      }
    }
    util::FileLock lock(shard / ".size");
    uint64_t count = current_count(lock, shard);
    struct stat old {};
    const uint64_t replaced =
        ::stat(final_path.c_str(), &old) == 0 ? static_cast<uint64_t>(old.st_size) : 0;
    if (::rename(temp.c_str(), final_path.c_str()) != 0) {
      throw std::runtime_error(
          fmt::format("cannot store {}: {}", final_path.string(), errno_text()));
    }
    temp.clear();
    count = count - std::min(count, replaced) + bytes.size();
    if (count > shard_max) {
      // Keep the entry just written: it is the newest, so it goes last.
      count = clean_shard(shard, shard_max / 10 * 9);
    }
    write_count(lock, count);
  } catch (const std::exception& e) {
    if (!temp.empty()) {
      ::unlink(temp.c_str());
    }
    result.status = WriteStatus::error;
    result.error = e.what();
  }
  return result;
}

void DiskStore::remove(std::string_view key) {
  if (m_read_only) {
    return;
  }
  try {
    const fs::path shard = shard_of(key);
    const fs::path path = path_of(key);
    util::FileLock lock(shard / ".size");
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && ::unlink(path.c_str()) == 0) {
      const uint64_t count = current_count(lock, shard);
      write_count(lock, count - std::min(count, static_cast<uint64_t>(st.st_size)));
    }
  } catch (const std::exception&) {
    // best effort: a damaged entry that stays is found damaged again
  }
}

uint64_t DiskStore::size() const {
  uint64_t total = 0;
  for (int i = 0; i < k_shards; ++i) {
    const fs::path file = m_dir / fmt::format("{:x}", i) / ".size";
    if (auto text = util::read_file(file)) {
      uint64_t value = 0;
      std::from_chars(text->data(), text->data() + text->size(), value);
      total += value;
    }
  }
  return total;
}

}  // namespace sccache::cache
