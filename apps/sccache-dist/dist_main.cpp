#include "sccache-dist/dist_main.hpp"

#include <cstring>
#include <iostream>
#include <signal.h>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "buildserver/build_server.hpp"
#include "common/daemon_main.hpp"
#include "common/http_replies.hpp"
#include "common/logging.hpp"
#include "sccache-dist/auth_commands.hpp"
#include "scheduler/scheduler.hpp"

namespace sccache {
namespace {

constexpr const char* k_usage =
    R"(sccache-dist: the scheduler and build server of sccache distributed compilation

Usage:
  sccache-dist scheduler --config <scheduler.conf>   run the scheduler (one per cluster)
  sccache-dist server --config <server.conf>         run a build server
  sccache-dist auth <command> ...                    make keys and tokens (auth --help)
  sccache-dist --version | --help

Logging: set SCCACHE_LOG (or RUST_LOG) to error, warn, info, debug or trace.
Both daemons run in the foreground and stop cleanly on SIGINT or SIGTERM.
)";

int usage_error(const std::string& message) {
  std::cerr << "sccache-dist: " << message << "\n\n" << k_usage;
  return 2;
}

// Parses "--config F" / "--config=F" out of the arguments after the subcommand.
bool parse_config_flag(const std::vector<std::string>& args, std::string* config,
                       std::string* error) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" || args[i] == "-c") {
      if (i + 1 >= args.size()) {
        *error = "--config needs a file name";
        return false;
      }
      *config = args[++i];
    } else if (args[i].starts_with("--config=")) {
      *config = args[i].substr(9);
    } else {
      *error = "unexpected argument '" + args[i] + "'";
      return false;
    }
  }
  if (config->empty()) {
    *error = "--config <file> is required";
    return false;
  }
  return true;
}

// Runs a daemon until SIGINT/SIGTERM; `Daemon` has start() and stop().
template <typename Daemon>
int run_until_signal(Daemon& daemon) {
  daemon.start();
  int sig = wait_for_shutdown_signal();
  spdlog::info("received {}, shutting down", strsignal(sig));
  daemon.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int dist_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    return usage_error("a subcommand is required");
  }
  const std::string command = args[0];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << k_usage;
    return 0;
  }
  if (command == "--version" || command == "-V") {
    std::cout << "sccache-dist " << software_version() << "\n";
    return 0;
  }
  if (command == "auth") {
    return auth_command({args.begin() + 1, args.end()});
  }
  if (command != "scheduler" && command != "server") {
    return usage_error("unknown subcommand '" + command + "'");
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
    std::cout << k_usage;
    return 0;
  }
  std::string config_file;
  std::string error;
  if (!parse_config_flag(rest, &config_file, &error)) {
    return usage_error(error);
  }

  block_shutdown_signals();
  init_logging(command, spdlog::level::info);
  try {
    if (command == "scheduler") {
      Scheduler scheduler(read_scheduler_config(load_config_document(config_file)));
      return run_until_signal(scheduler);
    }
    BuildServer server(read_server_config(load_config_document(config_file)));
    return run_until_signal(server);
  } catch (const ConfigError& e) {
    spdlog::error("invalid configuration: {}", e.what());
  } catch (const std::exception& e) {
    spdlog::error("cannot start the {}: {}", command, e.what());
  }
  return 1;
}

}  // namespace sccache
