#include "toolchain_cache.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sha256.hpp"
#include "toolchain.hpp"
#include "unique_fd.hpp"

namespace sccache::toolchain {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_key_version = "sccache-toolchain-v1";
constexpr std::string_view k_archive_suffix = ".tar.zst";
constexpr std::string_view k_temp_prefix = ".tmp-";
constexpr auto k_stale_temp_age = std::chrono::hours(1);

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

bool is_hex_id(std::string_view id) {
  return id.size() == 64 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// mkstemp() in `dir`; the file gets mode 0644.
fs::path make_temp_file(const fs::path& dir, const std::string& stem) {
  std::string pattern = (dir / (std::string(k_temp_prefix) + stem + "-XXXXXX")).string();
  UniqueFd fd(::mkstemp(pattern.data()));
  if (!fd.valid()) {
    throw ToolchainError(
        fmt::format("cannot create a file in {}: {}", dir.string(), std::strerror(errno)));
  }
  ::fchmod(fd.get(), 0644);
  return pattern;
}

void write_whole_file(const fs::path& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd.valid() || ::write(fd.get(), text.data(), text.size()) != ssize_t(text.size())) {
    throw ToolchainError(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  }
}

struct ArchiveFile {
  int64_t mtime = 0;
  std::string name;
  uint64_t size = 0;
};

}  // namespace

std::string weak_key(std::string_view purpose, const fs::path& invoked, const fs::path& file) {
  struct stat st {};
  char real[PATH_MAX];
  if (::stat(file.c_str(), &st) != 0 || ::realpath(file.c_str(), real) == nullptr) {
    throw ToolchainError(fmt::format("cannot stat {}: {}", file.string(), std::strerror(errno)));
  }
  return sha256_hex(fmt::format("{}\n{}\n{}\n{}\n{} {} {} {}\n", k_key_version, purpose,
                                invoked.string(), real, st.st_dev, st.st_ino, st.st_size,
                                mtime_ns(st)));
}

ToolchainCache::ToolchainCache(fs::path root, uint64_t max_bytes)
    : m_root(std::move(root)), m_max_bytes(max_bytes) {}

void ToolchainCache::ensure_directories() {
  for (const char* sub : {"tc", "compilers", "locks"}) {
    std::error_code ec;
    fs::create_directories(m_root / sub, ec);
    if (ec) {
      throw ToolchainError(
          fmt::format("cannot create {}: {}", (m_root / sub).string(), ec.message()));
    }
  }
}

std::optional<IndexRecord> ToolchainCache::read_index(const std::string& key) const {
  UniqueFd fd(::open((m_root / "compilers" / key).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return std::nullopt;
  }
  char buffer[256];
  ssize_t n = ::read(fd.get(), buffer, sizeof buffer - 1);
  if (n <= 0) {
    return std::nullopt;
  }
  std::istringstream in(std::string(buffer, static_cast<size_t>(n)));
  std::string kind, id;
  IndexRecord record;
  if (!(in >> kind >> id >> record.size)) {
    return std::nullopt;
  }
  if (kind == "archive" && is_hex_id(id)) {
    record.kind = IndexRecord::Kind::archive;
    record.id = id;
    return record;
  }
  if (kind == "too-large") {
    record.kind = IndexRecord::Kind::too_large;
    return record;
  }
  return std::nullopt;
}

void ToolchainCache::write_index(const std::string& key, const IndexRecord& record) {
  ensure_directories();
  fs::path dir = m_root / "compilers";
  fs::path temp = make_temp_file(dir, key.substr(0, 16));
  try {
    write_whole_file(temp, record.kind == IndexRecord::Kind::archive
                               ? fmt::format("archive {} {}\n", record.id, record.size)
                               : fmt::format("too-large - {}\n", record.size));
    if (::rename(temp.c_str(), (dir / key).c_str()) != 0) {
      throw ToolchainError(
          fmt::format("cannot write {}: {}", (dir / key).string(), std::strerror(errno)));
    }
  } catch (...) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw;
  }
}

fs::path ToolchainCache::archive_path(const std::string& id) const {
  return m_root / "tc" / (id + std::string(k_archive_suffix));
}

bool ToolchainCache::touch_archive(const std::string& id) const {
  return ::utimensat(AT_FDCWD, archive_path(id).c_str(), nullptr, 0) == 0;
}

FileLock ToolchainCache::lock(const std::string& key) {
  ensure_directories();
  return FileLock(m_root / "locks" / key);
}

fs::path ToolchainCache::new_temp_archive() {
  ensure_directories();
  return make_temp_file(m_root / "tc", std::to_string(::getpid()));
}

fs::path ToolchainCache::commit_archive(const fs::path& temp, const std::string& id,
                                        uint64_t size) {
  std::error_code ec;
  if (size > m_max_bytes) {
    fs::remove(temp, ec);
    throw ToolchainTooLarge(size, m_max_bytes);
  }
  fs::path final_path = archive_path(id);
  if (::rename(temp.c_str(), final_path.c_str()) != 0) {
    int error = errno;
    fs::remove(temp, ec);
    throw ToolchainError(
        fmt::format("cannot store {}: {}", final_path.string(), std::strerror(error)));
  }
  evict(id);
  return final_path;
}

void ToolchainCache::evict(const std::string& keep_id) {
  ensure_directories();
  FileLock evicting(m_root / "locks" / "evict");
  fs::path dir = m_root / "tc";
  std::vector<ArchiveFile> archives;
  uint64_t total = 0;
  auto stale_before = std::chrono::system_clock::now() - k_stale_temp_age;
  int64_t stale_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(stale_before.time_since_epoch()).count();
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      continue;
    }
    if (name.starts_with(k_temp_prefix)) {
      std::error_code ignored;
      if (mtime_ns(st) < stale_ns) {
        fs::remove(it->path(), ignored);  // left by a crashed packager
      }
      continue;
    }
    if (name.ends_with(k_archive_suffix)) {
      archives.push_back({mtime_ns(st), name, static_cast<uint64_t>(st.st_size)});
      total += static_cast<uint64_t>(st.st_size);
    }
  }
  if (ec) {
    throw ToolchainError(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  }
  std::sort(archives.begin(), archives.end(), [](const ArchiveFile& a, const ArchiveFile& b) {
    return std::tie(a.mtime, a.name) < std::tie(b.mtime, b.name);
  });
  std::string keep_name = keep_id + std::string(k_archive_suffix);
  for (const auto& archive : archives) {
    if (total <= m_max_bytes) {
      break;
    }
    if (archive.name == keep_name) {
      continue;
    }
    if (fs::remove(dir / archive.name, ec)) {
      total -= archive.size;
      spdlog::default_logger()->debug("toolchain cache: evicted {} ({} bytes)", archive.name,
                                      archive.size);
    }
  }
}

uint64_t ToolchainCache::total_bytes() const {
  uint64_t total = 0;
  std::error_code ec;
  fs::directory_iterator it(m_root / "tc", ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    struct stat st {};
    if (!name.starts_with(k_temp_prefix) && name.ends_with(k_archive_suffix) &&
        ::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      total += static_cast<uint64_t>(st.st_size);
    }
  }
  return total;
}

}  // namespace sccache::toolchain
