#include "client/toolchain/toolchain_cache.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/fs.hpp"
#include "util/sha256.hpp"
#include "util/unique_fd.hpp"

#include "client/toolchain/toolchain.hpp"

namespace sccache::toolchain {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_key_version = "sccache-toolchain-v1";
constexpr std::string_view k_archive_suffix = ".tar.zst";

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

bool is_hex_id(std::string_view id) {
  return id.size() == 64 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string archive_name(const std::string& id) {
  return id + std::string(k_archive_suffix);
}

}  // namespace

std::string weak_key(std::string_view purpose, const fs::path& invoked, const fs::path& file) {
  struct stat st {};
  char real[PATH_MAX];
  if (::stat(file.c_str(), &st) != 0 || ::realpath(file.c_str(), real) == nullptr) {
    throw ToolchainError(fmt::format("cannot stat {}: {}", file.string(), std::strerror(errno)));
  }
  return util::sha256_hex(fmt::format("{}\n{}\n{}\n{}\n{} {} {} {}\n", k_key_version, purpose,
                                      invoked.string(), real, st.st_dev, st.st_ino, st.st_size,
                                      mtime_ns(st)));
}

ToolchainCache::ToolchainCache(fs::path root, uint64_t max_bytes)
    : m_root(std::move(root)), m_archives(m_root / "tc", max_bytes) {}

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
  util::UniqueFd fd(::open((m_root / "compilers" / key).c_str(), O_RDONLY | O_CLOEXEC));
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
  try {
    util::write_file_atomically(m_root / "compilers" / key,
                                record.kind == IndexRecord::Kind::archive
                                    ? fmt::format("archive {} {}\n", record.id, record.size)
                                    : fmt::format("too-large - {}\n", record.size));
  } catch (const std::runtime_error& e) {
    throw ToolchainError(e.what());
  }
}

fs::path ToolchainCache::archive_path(const std::string& id) const {
  return m_archives.path(archive_name(id));
}

bool ToolchainCache::touch_archive(const std::string& id) const {
  return m_archives.touch(archive_name(id));
}

util::FileLock ToolchainCache::lock(const std::string& key) {
  ensure_directories();
  try {
    return util::FileLock(m_root / "locks" / key);
  } catch (const std::runtime_error& e) {
    throw ToolchainError(e.what());
  }
}

fs::path ToolchainCache::new_temp_archive() {
  ensure_directories();
  try {
    return m_archives.new_temp(0644);
  } catch (const std::runtime_error& e) {
    throw ToolchainError(e.what());
  }
}

fs::path ToolchainCache::commit_archive(const fs::path& temp, const std::string& id,
                                        uint64_t size) {
  if (size > m_archives.max_bytes()) {
    std::error_code ec;
    fs::remove(temp, ec);
    throw ToolchainTooLarge(size, m_archives.max_bytes());
  }
  try {
    return m_archives.commit(temp, archive_name(id));
  } catch (const util::EntryTooLarge& e) {
    throw ToolchainTooLarge(e.size, e.max_bytes);
  } catch (const std::runtime_error& e) {
    throw ToolchainError(e.what());
  }
}

void ToolchainCache::evict(const std::string& keep_id) {
  ensure_directories();
  try {
    m_archives.evict(archive_name(keep_id));
  } catch (const std::runtime_error& e) {
    throw ToolchainError(e.what());
  }
}

uint64_t ToolchainCache::total_bytes() const {
  return m_archives.total_bytes();
}

}  // namespace sccache::toolchain
