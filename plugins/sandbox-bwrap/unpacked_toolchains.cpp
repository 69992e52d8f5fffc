#include "sandbox-bwrap/unpacked_toolchains.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sys/stat.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sccache/sandbox.hpp"

#include "util/fs.hpp"
#include "util/random.hpp"

#include "sandbox-bwrap/unpack_archive.hpp"

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

UnpackedToolchains::UnpackedToolchains(fs::path dir, std::shared_ptr<spdlog::logger> logger)
    : m_dir(std::move(dir)), m_logger(std::move(logger)), m_leases(*this, m_logger) {}

std::optional<std::string> UnpackedToolchains::find_existing(const std::string& id) const {
  if (!is_toolchain_id(id) || !is_real_directory(tree(id))) {
    return std::nullopt;
  }
  return tree(id).string();
}

std::string UnpackedToolchains::materialize(const std::string& id, const fs::path& archive) {
  auto start = std::chrono::steady_clock::now();
  fs::path tmp = m_dir / (id + ".tmp-" + util::random_hex(8));
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
    util::remove_tree(tmp);
    throw;
  } catch (const std::exception& e) {
    util::remove_tree(tmp);
    throw SandboxError(fmt::format("cannot unpack {}: {}", archive.string(), e.what()));
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start);
  m_logger->info("prepared toolchain {} in {} ms", id, ms.count());
  return tree(id).string();
}

void UnpackedToolchains::destroy(const std::string& id, const std::string& handle) noexcept {
  try {
    // Renamed aside first, so no half-removed tree is ever found under its id.
    fs::path aside = m_dir / (id + ".evicting-" + util::random_hex(8));
    if (::rename(handle.c_str(), aside.c_str()) != 0) {
      m_logger->warn("cannot move toolchain {} aside for eviction, keeping it: {}", id,
                     std::strerror(errno));
      return;
    }
    std::string error = util::remove_tree(aside);
    if (error.empty()) {
      m_logger->info("evicted toolchain {}", id);
    } else {
      m_logger->warn("cannot remove {} while evicting toolchain {}: {}", aside.string(), id, error);
    }
  } catch (const std::exception& e) {  // bad_alloc, or no randomness: the tree stays
    m_logger->warn("cannot evict toolchain {}: {}", id, e.what());
  }
}

void UnpackedToolchains::remove_leftovers() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(m_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.find(".tmp-") != std::string::npos || name.find(".evicting-") != std::string::npos) {
      std::string error = util::remove_tree(entry.path());
      if (!error.empty()) {
        m_logger->warn("cannot remove leftover {}: {}", entry.path().string(), error);
      }
    }
  }
}

}  // namespace sccache::sandbox_bwrap
