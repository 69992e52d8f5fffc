#include "client/client_main.hpp"

#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "client/compile/in_process.hpp"
#include "client/dist_status.hpp"
#include "client/program_path.hpp"
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
  sccache --package-toolchain <compiler> <out>
                                   write the toolchain archive sent to build servers
  <name> <args...>                 through a symlink named like the compiler (e.g. gcc -> sccache)
  sccache --version | --help

Config: $SCCACHE_CONF, else ~/.config/sccache/config ([dist] section).
Logging: set SCCACHE_LOG to error, warn, info, debug or trace.
)";

// The stats file of the configured client cache directory.
StatsFile stats_file() {
  ClientConfig config;
  try {
    config = read_client_config(client_config_path());
  } catch (const ConfigError& e) {
    std::cerr << "sccache: invalid configuration: " << e.what() << "\n";
  }
  return StatsFile(config.cache_dir / "client" / "stats.json");
}

bool wants_json(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--json" || args[i] == "--stats-format=json" ||
        (args[i] == "--stats-format" && i + 1 < args.size() && args[i + 1] == "json")) {
      return true;
    }
  }
  return false;
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
  if (args[0] == "--dist-status") {
    OutputFormat format = OutputFormat::text;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--json" || args[i] == "--stats-format=json") {
        format = OutputFormat::json;
      } else {
        std::cerr << "sccache: unexpected argument '" << args[i] << "'\n";
        return 2;
      }
    }
    try {
      return print_dist_status(read_client_config(client_config_path()), format, std::cout,
                               std::cerr);
    } catch (const ConfigError& e) {
      std::cerr << "sccache: invalid configuration: " << e.what() << "\n";
      return 1;
    }
  }
  if (args[0] == "--show-stats") {
    ClientStats stats = stats_file().read();
    if (wants_json(args)) {
      std::cout << stats_to_json(stats) << "\n";
    } else {
      print_stats_text(stats, std::cout);
    }
    return 0;
  }
  if (args[0] == "--zero-stats") {
    stats_file().zero();
    std::cout << "Statistics zeroed.\n";
    return 0;
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
                             self_executable());
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
