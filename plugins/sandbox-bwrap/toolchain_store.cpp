#include "toolchain_store.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sccache/sandbox.hpp"

#include "fs_util.hpp"
#include "unpack_archive.hpp"

namespace sccache::sandbox_bwrap {
namespace fs = std::filesystem;

namespace {

// Compilers write temporary files to /tmp: make it a sticky, world-writable directory.
void ensure_tmp_dir(const fs::path& root) {
  fs::path tmp = root / "tmp";
  struct stat st {};
  if (::lstat(tmp.c_str(), &st) != 0) {
    if (errno != ENOENT || ::mkdir(tmp.c_str(), 0700) != 0) {
      throw SandboxError(fmt::format("cannot create {}: {}", tmp.string(), std::strerror(errno)));
    }
  } else if (!S_ISDIR(st.st_mode)) {
    return;  // the archive made /tmp something else (e.g. a symlink); its choice
  }
  if (::chmod(tmp.c_str(), 01777) != 0) {
    throw SandboxError(fmt::format("cannot chmod {}: {}", tmp.string(), std::strerror(errno)));
  }
}

bool is_real_directory(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(fs::symlink_status(path, ec));
}

}  // namespace

ToolchainStore::Lease::Lease(ToolchainStore& store, std::string id, fs::path dir)
    : m_store(&store), m_id(std::move(id)), m_dir(std::move(dir)) {}

ToolchainStore::Lease::Lease(Lease&& other) noexcept
    : m_store(std::exchange(other.m_store, nullptr)),
      m_id(std::move(other.m_id)),
      m_dir(std::move(other.m_dir)) {}

ToolchainStore::Lease::~Lease() {
  if (m_store != nullptr) {
    try {
      m_store->release(m_id);
    } catch (...) {  // only bad_alloc is possible; the tree then stays until evicted again
    }
  }
}

ToolchainStore::ToolchainStore(fs::path dir, std::shared_ptr<spdlog::logger> logger)
    : m_dir(std::move(dir)), m_logger(std::move(logger)) {}

void ToolchainStore::prepare(const std::string& id, const fs::path& archive) {
  require_toolchain_id(id);
  {
    std::unique_lock lock(m_mutex);
    while (true) {
      auto it = m_entries.find(id);
      if (it == m_entries.end()) {
        break;
      }
      if (it->second.state == State::ready) {
        it->second.evict_pending = false;  // wanted again: keep it
        return;
      }
      m_changed.wait(lock);  // another thread is unpacking it; use its result
    }
    if (is_real_directory(tree(id))) {
      m_entries[id].state = State::ready;
      return;
    }
    m_entries[id] = Entry{};  // unpacking, by this thread
  }
  try {
    unpack(id, archive);
  } catch (...) {
    std::lock_guard lock(m_mutex);
    m_entries.erase(id);
    m_changed.notify_all();
    throw;
  }
  std::lock_guard lock(m_mutex);
  m_entries[id].state = State::ready;
  m_changed.notify_all();
}

void ToolchainStore::unpack(const std::string& id, const fs::path& archive) {
  auto start = std::chrono::steady_clock::now();
  fs::path tmp = m_dir / (id + ".tmp-" + random_hex(8));
  if (::mkdir(tmp.c_str(), 0700) != 0) {
    throw SandboxError(fmt::format("cannot create {}: {}", tmp.string(), std::strerror(errno)));
  }
  try {
    unpack_archive(archive, tmp);
    ensure_tmp_dir(tmp);
    if (::chmod(tmp.c_str(), 0755) != 0 || ::rename(tmp.c_str(), tree(id).c_str()) != 0) {
      throw SandboxError(
          fmt::format("cannot move {} into place: {}", tmp.string(), std::strerror(errno)));
    }
  } catch (const SandboxError&) {
    remove_tree(tmp);
    throw;
  } catch (const std::exception& e) {
    remove_tree(tmp);
    throw SandboxError(fmt::format("cannot unpack {}: {}", archive.string(), e.what()));
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start);
  m_logger->info("prepared toolchain {} in {} ms", id, ms.count());
}

bool ToolchainStore::has(const std::string& id) const {
  if (!is_toolchain_id(id)) {
    return false;
  }
  std::lock_guard lock(m_mutex);
  auto it = m_entries.find(id);
  if (it != m_entries.end()) {
    return it->second.state == State::ready && !it->second.evict_pending;
  }
  return is_real_directory(tree(id));
}

void ToolchainStore::evict(const std::string& id) {
  require_toolchain_id(id);
  fs::path doomed;
  {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] {
      auto it = m_entries.find(id);
      return it == m_entries.end() || it->second.state != State::unpacking;
    });
    auto it = m_entries.find(id);
    if (it != m_entries.end() && it->second.leases > 0) {
      it->second.evict_pending = true;
      m_logger->info("toolchain {} will be evicted when its {} running job(s) end", id,
                     it->second.leases);
      return;
    }
    if (it != m_entries.end()) {
      m_entries.erase(it);
    }
    doomed = detach_locked(id);
  }
  remove_detached(doomed, id);
}

ToolchainStore::Lease ToolchainStore::acquire(const std::string& id) {
  require_toolchain_id(id);
  std::lock_guard lock(m_mutex);
  auto it = m_entries.find(id);
  if (it == m_entries.end() && is_real_directory(tree(id))) {
    it = m_entries.emplace(id, Entry{State::ready, 0, false}).first;
  }
  if (it == m_entries.end() || it->second.state != State::ready || it->second.evict_pending) {
    throw SandboxError(
        fmt::format("toolchain {} is not prepared (call prepare_toolchain first)", id));
  }
  ++it->second.leases;
  return Lease(*this, id, tree(id));
}

void ToolchainStore::release(const std::string& id) {
  fs::path doomed;
  {
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(id);
    if (it == m_entries.end() || --it->second.leases > 0 || !it->second.evict_pending) {
      return;
    }
    m_entries.erase(it);
    doomed = detach_locked(id);
  }
  remove_detached(doomed, id);
}

fs::path ToolchainStore::detach_locked(const std::string& id) {
  if (!is_real_directory(tree(id))) {
    return {};
  }
  fs::path aside = m_dir / (id + ".evicting-" + random_hex(8));
  if (::rename(tree(id).c_str(), aside.c_str()) != 0) {
    m_logger->warn("cannot move toolchain {} aside for eviction, keeping it: {}", id,
                   std::strerror(errno));
    return {};
  }
  return aside;
}

void ToolchainStore::remove_detached(const fs::path& path, const std::string& id) {
  if (path.empty()) {
    return;
  }
  std::string error = remove_tree(path);
  if (error.empty()) {
    m_logger->info("evicted toolchain {}", id);
  } else {
    m_logger->warn("cannot remove {} while evicting toolchain {}: {}", path.string(), id, error);
  }
}

void ToolchainStore::remove_leftovers() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(m_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.find(".tmp-") != std::string::npos || name.find(".evicting-") != std::string::npos) {
      std::string error = remove_tree(entry.path());
      if (!error.empty()) {
        m_logger->warn("cannot remove leftover {}: {}", entry.path().string(), error);
      }
    }
  }
}

}  // namespace sccache::sandbox_bwrap
