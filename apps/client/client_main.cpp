#include "client/client_main.hpp"

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "client/commands.hpp"
#include "client/compile/in_process.hpp"
#include "client/dist_status.hpp"
#include "client/program_path.hpp"
#include "client/server/daemon.hpp"
#include "client/stats.hpp"
#include "client/toolchain/toolchain.hpp"
#include "common/http_replies.hpp"
#include "common/logging.hpp"

namespace sccache {
namespace {

constexpr const char* k_usage =
    R"(sccache: a compiler wrapper that spreads C and C++ compiles over a cluster

Usage:
  sccache <compiler> <args...>     compile, remotely when the cluster can help
  sccache --dist-status [--json]   show the scheduler and its build servers
  sccache --show-stats [--json]    show compile statistics (--stats-format=json too)
  sccache --zero-stats             reset the statistics
  sccache --start-server           start the local server (it also starts on the first compile)
  sccache --stop-server            stop it, printing the statistics
  sccache --package-toolchain <compiler> <out>
                                   write the toolchain archive sent to build servers
  <name> <args...>                 through a symlink named like the compiler (e.g. gcc -> sccache)
  sccache --version | --help

Config: $SCCACHE_CONF, else ~/.config/sccache/config ([dist] section).
Logging: set SCCACHE_LOG to error, warn, info, debug or trace (the server logs to
$SCCACHE_ERROR_LOG).
Server: SCCACHE_SERVER_UDS (its socket), SCCACHE_IDLE_TIMEOUT (seconds, 0 = never; 600),
SCCACHE_NO_DAEMON=1 (compile in the wrapper's own process), SCCACHE_SERVER_TIMEOUT (seconds a
wrapper waits for a sign of life before compiling locally; 10).
)";

// --show-stats, --zero-stats, --dist-status, --stop-server: the running server answers when
// there is one (it holds the warm state), else this process does from the config.
int report(const std::string& name, const std::vector<std::string>& args) {
  std::optional<CommandResult> result = ask_server(name, args);
  if (!result) {
    if (name == "--stop-server") {
      std::cerr << "sccache: no server was running\n";
    }
    try {
      ClientContext context(read_client_config(client_config_path()), sccache_programs());
      result = run_command(name, args, context);
    } catch (const ConfigError& e) {
      std::cerr << "sccache: invalid configuration: " << e.what() << "\n";
      return 1;
    }
  }
  std::cout << result->out;
  std::cerr << result->err;
  return result->exit_code;
}

}  // namespace

int client_main(int argc, char** argv) {
  init_logging("sccache", spdlog::level::warn);
  // Masquerade: invoked through a symlink named like the compiler (gcc -> sccache).
  const std::string invoked_as = std::filesystem::path(argv[0]).filename().string();
  if (invoked_as != "sccache" && !invoked_as.starts_with("sccache-")) {
    std::vector<std::string> compiler_argv(argv, argv + argc);
    compiler_argv[0] = invoked_as;
    return compile_in_process(compiler_argv);
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << k_usage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "-V") {
    std::cout << "sccache " << software_version() << "\n";
    return 0;
  }
  if (args[0] == "--start-server") {
    return start_server(std::find(args.begin(), args.end(), "--quiet") != args.end());
  }
  if (args[0] == "--show-stats" || args[0] == "-s" || args[0] == "--zero-stats" ||
      args[0] == "-z" || args[0] == "--dist-status" || args[0] == "--stop-server") {
    return report(args[0], std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (args[0] == "--package-toolchain") {
    if (args.size() != 3) {
      std::cerr << "sccache: usage: sccache --package-toolchain <compiler> <out>\n";
      return 2;
    }
    try {
      std::filesystem::path compiler =
          args[1].find('/') != std::string::npos
              ? std::filesystem::absolute(args[1])
              : find_in_path(args[1], std::getenv("PATH") ? std::getenv("PATH") : "",
                             sccache_programs());
      std::string id = toolchain::package_toolchain_to(compiler, args[2]);
      std::cout << "wrote " << args[2] << " (toolchain " << id << ")\n";
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "sccache: cannot package the toolchain: " << e.what() << "\n";
      return 1;
    }
  }
  if (args[0].starts_with("--")) {
    std::cerr << "sccache: unknown option '" << args[0] << "'\n\n" << k_usage;
    return 2;
  }
  return compile_in_process(args);
}

}  // namespace sccache
