#include "client/toolchain/run_command.hpp"

#include <sys/wait.h>

#include "util/process.hpp"

#include "client/toolchain/toolchain.hpp"

namespace sccache::toolchain {

CommandOutput run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  util::SpawnOptions options;
  options.argv = argv;
  options.search_path = true;
  options.default_signals = true;
  options.environment = util::current_environment();
  std::erase_if(*options.environment, [](const std::string& entry) {
    return entry.starts_with("LC_ALL=") || entry.starts_with("LANGUAGE=");
  });
  options.environment->push_back("LC_ALL=C");
  try {
    util::CapturedRun run = util::run_captured(std::move(options), timeout);
    return {WIFEXITED(run.status) ? WEXITSTATUS(run.status) : -1, std::move(run.out),
            std::move(run.err)};
  } catch (const util::SpawnError& e) {
    throw ToolchainError(e.what());
  }
}

}  // namespace sccache::toolchain
