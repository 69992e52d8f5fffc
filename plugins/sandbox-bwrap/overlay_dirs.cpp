#include "sandbox-bwrap/overlay_dirs.hpp"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sccache/deferred_removal.hpp"
#include "sccache/sandbox.hpp"

#include "util/fs.hpp"
#include "util/random.hpp"

namespace sccache::sandbox_bwrap {
namespace fs = std::filesystem;

namespace {

void make_dir(const fs::path& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0) {
    throw SandboxError(fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  }
}

}  // namespace

OverlayDirs::OverlayDirs(const fs::path& builds_dir, const std::string& prefix)
    : m_path(builds_dir / (prefix + util::random_hex(8))) {
  make_dir(m_path, 0700);
  try {
    // upper/ gives the overlay's root directory its mode: the job's "/" must be 0755.
    make_dir(upper(), 0755);
    make_dir(work(), 0700);
    make_dir(target(), 0755);
  } catch (...) {
    util::remove_tree(m_path);
    throw;
  }
}

OverlayDirs::~OverlayDirs() {
  // The overlay is unmounted by now; removing upper/ can take longer than the compile, and the
  // job's reply need not wait for it.
  remove_tree_later(m_path);
}

}  // namespace sccache::sandbox_bwrap
