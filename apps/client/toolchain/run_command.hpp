// Runs a short helper command (a compiler probe, ldd) to completion and captures its output.
//
// The child gets the caller's environment with LC_ALL=C (untranslated messages), stdin from
// /dev/null, and its own process group (killed as a whole on timeout).
// Threads: no shared state; callable from any thread (posix_spawn).
// Failure: ToolchainError if the command cannot start or outlives `timeout`; a non-zero exit is
// reported in exit_code, not thrown.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace sccache::toolchain {

struct CommandOutput {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// argv[0] without a '/' is searched in PATH.
CommandOutput run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace sccache::toolchain
