#include "client_main.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "dist_status.hpp"
#include "http_replies.hpp"
#include "logging.hpp"

namespace sccache {
namespace {

constexpr const char* k_usage = R"(sccache: a compiler wrapper that spreads C and C++ compiles over a cluster

Usage:
  sccache <compiler> <args...>     compile, remotely when the cluster can help
  sccache --dist-status [--json]   show the scheduler and its build servers
  sccache --version | --help

Config: $SCCACHE_CONF, else ~/.config/sccache/config ([dist] section).
Logging: set SCCACHE_LOG to error, warn, info, debug or trace.
)";

// Runs the compiler as if sccache were not there. Only returns on failure to exec.
int exec_compiler(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  std::cerr << "sccache: cannot run " << args[0] << ": " << std::strerror(errno) << "\n";
  return errno == ENOENT ? 127 : 126;
}

}  // namespace

int client_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  init_logging("sccache", spdlog::level::warn);
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
  if (args[0].starts_with("--")) {
    std::cerr << "sccache: unknown option '" << args[0] << "'\n\n" << k_usage;
    return 2;
  }
  return exec_compiler(args);
}

}  // namespace sccache
