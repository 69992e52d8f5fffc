// The way the packager runs its helpers (a compiler probe, ldd): untranslated messages (LC_ALL=C
// over the caller's environment), PATH search, stdin from /dev/null, output captured, and the
// whole process group killed if it outlives `timeout`.
//
// Threads: no shared state. Failure: ToolchainError if the command cannot start or outlives
// `timeout`; a non-zero exit is reported in exit_code, not thrown.
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

CommandOutput run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace sccache::toolchain
