#include "sandbox-bwrap/mount_namespace.hpp"

#include <cerrno>
#include <cstring>
#include <exception>
#include <sched.h>
#include <sys/mount.h>
#include <thread>

#include <fmt/format.h>

#include "sccache/sandbox.hpp"

namespace sccache::sandbox_bwrap {
namespace fs = std::filesystem;

namespace {

// overlayfs splits its options at ',' and lower layers at ':'; a backslash escapes either.
std::string escape_overlay_path(const fs::path& path) {
  std::string escaped;
  for (char c : path.string()) {
    if (c == ',' || c == ':' || c == '\\') {
      escaped += '\\';
    }
    escaped += c;
  }
  return escaped;
}

}  // namespace

void run_in_private_mount_namespace(const std::function<void()>& body) {
  std::exception_ptr failure;
  std::thread thread([&] {
    try {
      if (::unshare(CLONE_NEWNS | CLONE_FS) != 0) {
        throw SandboxError(
            fmt::format("cannot create a mount namespace: {}", std::strerror(errno)));
      }
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
        throw SandboxError(fmt::format("cannot make / private: {}", std::strerror(errno)));
      }
      body();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  thread.join();
  if (failure) {
    std::rethrow_exception(failure);
  }
}

OverlayMount::OverlayMount(const std::vector<fs::path>& lower_dirs, const fs::path& upper,
                           const fs::path& work, const fs::path& target)
    : m_target(target) {
  std::string options = "lowerdir=";
  for (size_t i = 0; i < lower_dirs.size(); ++i) {
    options += (i == 0 ? "" : ":") + escape_overlay_path(lower_dirs[i]);
  }
  options += ",upperdir=" + escape_overlay_path(upper) + ",workdir=" + escape_overlay_path(work);
  if (::mount("overlay", target.c_str(), "overlay", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    throw SandboxError(fmt::format(
        "cannot mount overlayfs at {}: {} (build_dir must be on a filesystem that can hold an "
        "overlayfs upper layer, e.g. ext4 or xfs, not overlayfs or NFS)",
        target.string(), std::strerror(errno)));
  }
}

OverlayMount::~OverlayMount() {
  ::umount2(m_target.c_str(), MNT_DETACH);
}

}  // namespace sccache::sandbox_bwrap
