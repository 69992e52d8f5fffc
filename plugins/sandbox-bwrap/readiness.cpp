#include "sandbox-bwrap/readiness.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sccache/sandbox.hpp"

#include "util/fs.hpp"
#include "util/process.hpp"

#include "sandbox-bwrap/mount_namespace.hpp"
#include "sandbox-bwrap/overlay_dirs.hpp"

namespace sccache::sandbox_bwrap {
namespace fs = std::filesystem;

namespace {

constexpr std::chrono::seconds k_helper_timeout{30};

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text.empty() ? "(no output)" : text;
}

// Runs a short helper (bwrap itself) as the sandbox runs jobs: an empty environment, no
// descriptor but stdio, default signal handling.
util::CapturedRun run_helper(std::vector<std::string> argv) {
  util::SpawnOptions options;
  options.argv = std::move(argv);
  options.environment = std::vector<std::string>{};
  options.close_other_fds = true;
  options.default_signals = true;
  try {
    return util::run_captured(std::move(options), k_helper_timeout);
  } catch (const util::SpawnError& e) {
    throw SandboxError(e.what());
  }
}

bool exited_zero(int status) {
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void make_private_dir(const fs::path& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    throw SandboxError(fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw SandboxError(fmt::format("{} is not a directory", path.string()));
  }
}

}  // namespace

void require_root() {
  if (::geteuid() != 0) {
    throw SandboxError(
        "the overlay builder needs root (it mounts overlayfs): run the server with sudo, or use "
        "[builder] type = \"docker\"");
  }
}

void require_overlayfs() {
  std::ifstream in("/proc/filesystems");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string field;
    std::string last;
    while (fields >> field) {
      last = field;
    }
    if (last == "overlay") {
      return;
    }
  }
  throw SandboxError(
      "overlayfs is not available on this kernel (no \"overlay\" in /proc/filesystems): load it "
      "with `modprobe overlay`, or use [builder] type = \"docker\"");
}

BwrapVersion require_bwrap(const fs::path& bwrap) {
  struct stat st {};
  if (::stat(bwrap.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      ::access(bwrap.c_str(), X_OK) != 0) {
    throw SandboxError(fmt::format(
        "bubblewrap not found or not executable at {} ([builder] bwrap_path): install it (Debian: "
        "apt-get install bubblewrap) or set bwrap_path",
        bwrap.string()));
  }
  util::CapturedRun run = run_helper({bwrap.string(), "--version"});
  auto version = parse_bwrap_version(run.out);
  if (!exited_zero(run.status) || !version) {
    throw SandboxError(fmt::format("{} --version failed ({}): {}", bwrap.string(),
                                   util::describe_wait_status(run.status),
                                   trimmed(run.out + run.err)));
  }
  if (!version->at_least(0, 3, 0)) {
    throw SandboxError(fmt::format("{} is bubblewrap {}; the overlay builder needs 0.3.0 or newer",
                                   bwrap.string(), version->text));
  }
  return *version;
}

void prepare_build_dir(const fs::path& build_dir) {
  std::error_code ec;
  fs::create_directories(build_dir.parent_path(), ec);
  make_private_dir(build_dir);
  if (::chmod(build_dir.c_str(), 0700) != 0) {
    throw SandboxError(
        fmt::format("cannot chmod {}: {}", build_dir.string(), std::strerror(errno)));
  }
  make_private_dir(build_dir / "toolchains");
  make_private_dir(build_dir / "builds");
  for (const auto& entry : fs::directory_iterator(build_dir / "builds", ec)) {
    std::string error = util::remove_tree(entry.path());
    if (!error.empty()) {
      throw SandboxError(fmt::format("cannot remove the leftover job directory {}: {}",
                                     entry.path().string(), error));
    }
  }
  if (ec) {
    throw SandboxError(
        fmt::format("cannot list {}: {}", (build_dir / "builds").string(), ec.message()));
  }
}

void smoke_test(const fs::path& bwrap, const BwrapVersion& version, const fs::path& builds_dir) {
  OverlayDirs dir(builds_dir, "smoke-");
  fs::path lower = dir.path() / "lower";
  if (::mkdir(lower.c_str(), 0755) != 0) {
    throw SandboxError(fmt::format("cannot create {}: {}", lower.string(), std::strerror(errno)));
  }
  run_in_private_mount_namespace([&] {
    OverlayMount overlay({lower}, dir.upper(), dir.work(), dir.target());
    BwrapInvocation invocation{.bwrap = bwrap,
                               .root = "/",
                               .read_only_root = true,
                               .clearenv = version.at_least(0, 5, 0),
                               .cwd = "/",
                               .environment = {},
                               .executable = bwrap.string(),
                               .arguments = {"--version"}};
    util::CapturedRun run = run_helper(bwrap_argv(invocation));
    if (!exited_zero(run.status)) {
      throw SandboxError(fmt::format("bwrap cannot create a sandbox on this machine ({}): {}",
                                     util::describe_wait_status(run.status), trimmed(run.err)));
    }
  });
}

}  // namespace sccache::sandbox_bwrap
