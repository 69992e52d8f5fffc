#include "buildserver/toolchain_archives.hpp"

#include <algorithm>
#include <fstream>
#include <memory>
#include <random>
#include <unistd.h>

#include <fmt/format.h>

#include "util/sha256.hpp"

namespace sccache {
namespace fs = std::filesystem;

ToolchainArchives::ToolchainArchives(fs::path dir, uint64_t max_bytes,
                                     std::function<void(const std::string&)> on_evict)
    : m_dir(std::move(dir)), m_max_bytes(max_bytes), m_on_evict(std::move(on_evict)) {
  fs::create_directories(m_dir);
  const auto now = std::chrono::steady_clock::now();
  for (const auto& entry : fs::directory_iterator(m_dir)) {
    const std::string name = entry.path().filename().string();
    if (is_toolchain_id(name) && entry.is_regular_file()) {
      m_entries[name] = {entry.file_size(), now};
      m_total += entry.file_size();
    } else {
      // A partial upload from an earlier run.
      std::error_code ec;
      fs::remove_all(entry.path(), ec);
    }
  }
  std::vector<std::string> evicted;
  evict_over_limit(&evicted);
  for (const auto& gone : evicted) {
    m_on_evict(gone);
  }
}

bool ToolchainArchives::contains(const std::string& id) {
  std::lock_guard lock(m_mutex);
  return m_entries.count(id) != 0;
}

fs::path ToolchainArchives::use(const std::string& id) {
  std::lock_guard lock(m_mutex);
  auto it = m_entries.find(id);
  if (it == m_entries.end()) {
    return {};
  }
  it->second.last_used = std::chrono::steady_clock::now();
  return m_dir / id;
}

std::vector<std::string> ToolchainArchives::ids() const {
  std::lock_guard lock(m_mutex);
  std::vector<std::string> ids;
  for (const auto& [id, entry] : m_entries) {
    ids.push_back(id);
  }
  return ids;
}

uint64_t ToolchainArchives::total_bytes() const {
  std::lock_guard lock(m_mutex);
  return m_total;
}

void ToolchainArchives::store(const std::string& id, std::istream& in) {
  if (!is_toolchain_id(id)) {
    throw ToolchainRejected(wire::ErrorCode::bad_request,
                            "a toolchain id is 64 lowercase hex digits (SHA-256)");
  }
  {
    std::lock_guard lock(m_mutex);
    ++m_uploading[id];
  }
  struct UploadDone {
    ToolchainArchives& store;
    const std::string& id;
    ~UploadDone() {
      {
        std::lock_guard lock(store.m_mutex);
        if (--store.m_uploading[id] == 0) {
          store.m_uploading.erase(id);
        }
      }
      store.m_upload_done.notify_all();
    }
  } upload_done{*this, id};
  const fs::path temp =
      m_dir / fmt::format(".upload-{}-{:x}", id.substr(0, 16), std::random_device{}());
  struct Cleanup {
    const fs::path& path;
    bool keep = false;
    ~Cleanup() {
      if (!keep) {
        std::error_code ec;
        fs::remove(path, ec);
      }
    }
  } cleanup{temp};

  util::Sha256 hash;
  uint64_t size = 0;
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    std::vector<char> buffer(256 * 1024);
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      const auto got = in.gcount();
      if (got <= 0) {
        break;
      }
      size += static_cast<uint64_t>(got);
      if (size > m_max_bytes) {
        throw ToolchainRejected(wire::ErrorCode::toolchain_too_large,
                                fmt::format("the toolchain is larger than this server's "
                                            "toolchain_cache_size ({} bytes)",
                                            m_max_bytes));
      }
      hash.update(buffer.data(), static_cast<size_t>(got));
      out.write(buffer.data(), got);
    }
    if (!out.flush()) {
      throw std::runtime_error(fmt::format("cannot write {}: disk full?", temp.string()));
    }
  }
  const std::string hex = hash.hex_digest();
  if (hex != id) {
    throw ToolchainRejected(
        wire::ErrorCode::toolchain_corrupt,
        fmt::format("toolchain upload corrupt: its SHA-256 is {}, not {}", hex, id));
  }
  std::vector<std::string> evicted;
  {
    std::lock_guard lock(m_mutex);
    if (m_entries.count(id) == 0) {
      fs::rename(temp, m_dir / id);
      cleanup.keep = true;
      m_entries[id] = {size, std::chrono::steady_clock::now()};
      m_total += size;
      evict_over_limit(&evicted);
    }
  }
  for (const auto& gone : evicted) {
    m_on_evict(gone);
  }
}

bool ToolchainArchives::uploading(const std::string& id) const {
  std::lock_guard lock(m_mutex);
  return m_uploading.count(id) != 0;
}

bool ToolchainArchives::wait_for_upload(const std::string& id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(m_mutex);
  m_upload_done.wait_for(lock, timeout, [&] { return m_uploading.count(id) == 0; });
  return m_entries.count(id) != 0;
}

void ToolchainArchives::evict_over_limit(std::vector<std::string>* evicted) {
  while (m_total > m_max_bytes && m_entries.size() > 1) {
    auto oldest = std::min_element(
        m_entries.begin(), m_entries.end(),
        [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
    std::error_code ec;
    fs::remove(m_dir / oldest->first, ec);
    m_total -= oldest->second.size;
    evicted->push_back(oldest->first);
    m_entries.erase(oldest);
  }
}

}  // namespace sccache
