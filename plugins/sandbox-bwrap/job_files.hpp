// File operations inside a job's root (the overlay mount) that never leave it: every lookup goes
// through openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) relative to an O_PATH descriptor of
// the root, so symlinks and ".." planted by the inputs or by the job resolve inside the root,
// as they would for the job itself.
//
// Threads: no shared state. Must run where the root is mounted (the job's namespace thread).
// Failure: SandboxError.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "util/unique_fd.hpp"

namespace sccache::sandbox_bwrap {

using util::UniqueFd;

// An O_PATH descriptor of a host directory.
UniqueFd open_root(const std::filesystem::path& dir);

// Creates the directory `abs_path` (a job path) and its missing parents, mode 0755.
void make_dirs_in_root(int root_fd, const std::string& abs_path);

// Copies the tree under `host_dir` (directories, regular files and symlinks, which stay links)
// into the root: host_dir/a/b lands at /a/b, above whatever the toolchain has there, as an
// overlay layer above the toolchain would show it. Failure: SandboxError naming the job path.
void copy_tree_into_root(int root_fd, const std::filesystem::path& host_dir);

// Copies each job path in `abs_paths` that is a regular file in the root to
// `outputs_root/<job path>`; skips missing paths and anything that is not a regular file.
// Returns the job paths copied, in order, without duplicates. Throws SandboxError when a file
// or all of them together are over the job limits of sccache/sandbox.hpp.
std::vector<std::string> collect_outputs(int root_fd, const std::vector<std::string>& abs_paths,
                                         const std::filesystem::path& outputs_root);

}  // namespace sccache::sandbox_bwrap
