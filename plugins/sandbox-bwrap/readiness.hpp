// The start-up checks behind Sandbox::check_ready(). Each throws SandboxError with a message an
// operator can act on. Threads: no shared state.
#pragma once

#include <filesystem>
#include <memory>

#include "sandbox-bwrap/bwrap_command.hpp"

namespace spdlog {
class logger;
}

namespace sccache::sandbox_bwrap {

void require_root();
void require_overlayfs();
// bwrap exists, is executable and is at least 0.3.0; returns its version.
BwrapVersion require_bwrap(const std::filesystem::path& bwrap);
// Creates build_dir (0700) with toolchains/ and builds/, and empties builds/ (jobs of an earlier
// run; their mounts died with that process).
void prepare_build_dir(const std::filesystem::path& build_dir);
// Mounts a throw-away overlay in builds_dir from a private mount namespace thread, and runs bwrap
// there with the job flags (read-only host root, `bwrap --version` as the command), exactly as a
// job would be started. Reports bwrap's stderr on failure.
void smoke_test(const std::filesystem::path& bwrap, const BwrapVersion& version,
                const std::filesystem::path& builds_dir);

}  // namespace sccache::sandbox_bwrap
