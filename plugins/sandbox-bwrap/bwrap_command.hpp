// bwrap's command line for one job, its version, and how it reports its own failures.
// Pure functions; no state.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sccache::sandbox_bwrap {

struct BwrapVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  std::string text;  // "0.8.0"

  bool at_least(int major_, int minor_, int patch_) const;
};

// Parses `bwrap --version` output ("bubblewrap 0.8.0\n"); nullopt if it does not look like that.
std::optional<BwrapVersion> parse_bwrap_version(std::string_view output);

struct BwrapInvocation {
  std::filesystem::path bwrap;
  std::filesystem::path root;  // host directory that becomes "/" in the sandbox
  bool read_only_root = false;
  bool clearenv = true;   // --clearenv (bwrap >= 0.5); bwrap is started with no environment anyway
  bool info_fd3 = false;  // --info-fd 3: bwrap writes {"child-pid": N} there
  std::string cwd;        // absolute, inside the sandbox
  std::vector<std::pair<std::string, std::string>> environment;
  std::string executable;  // absolute, inside the sandbox
  std::vector<std::string> arguments;
  // Host files bound read-only into the sandbox, {host path, sandbox path}.
  std::vector<std::pair<std::string, std::string>> ro_binds;
};

// The full argv, bwrap first. Environment entries with an empty key or a key containing '=' are
// skipped.
std::vector<std::string> bwrap_argv(const BwrapInvocation& invocation);

// The host pid of the sandbox's first process, from what bwrap wrote to --info-fd.
std::optional<int> parse_bwrap_child_pid(std::string_view info_json);

// bwrap's own failure (it exits 1 and prints "bwrap: ..." first, e.g. "bwrap: execvp /x: No such
// file or directory"): that line, else nullopt (the command ran; its exit code is the result).
std::optional<std::string> bwrap_failure(int exit_code, std::string_view stderr_text);

}  // namespace sccache::sandbox_bwrap
