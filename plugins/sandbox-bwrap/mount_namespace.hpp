// Private mount namespaces per thread, and the overlayfs mount that is a job's root.
//
// Why a thread: unshare(CLONE_NEWNS | CLONE_FS) moves only the calling thread into a new mount
// namespace, so each job gets its own without forking, and the mount vanishes with the thread
// (and the processes it spawned). Needs CAP_SYS_ADMIN (root).
#pragma once

#include <filesystem>
#include <functional>
#include <vector>

namespace sccache::sandbox_bwrap {

// Runs `body` on a new thread that has first left the process's mount namespace and made "/"
// recursively private, so nothing it mounts propagates to the host. Blocks until the thread
// ends; rethrows whatever `body` threw. Failure: SandboxError if the namespace cannot be made.
void run_in_private_mount_namespace(const std::function<void()>& body);

// An overlayfs mount at `target`, unmounted (MNT_DETACH) on destruction. Create and destroy it on
// a run_in_private_mount_namespace() thread. `lower_dirs` are listed top layer first.
// Failure: SandboxError (e.g. the filesystem of `upper` cannot hold an overlay upper layer).
class OverlayMount {
 public:
  OverlayMount(const std::vector<std::filesystem::path>& lower_dirs,
               const std::filesystem::path& upper, const std::filesystem::path& work,
               const std::filesystem::path& target);
  ~OverlayMount();
  OverlayMount(const OverlayMount&) = delete;
  OverlayMount& operator=(const OverlayMount&) = delete;

 private:
  std::filesystem::path m_target;
};

}  // namespace sccache::sandbox_bwrap
