#include "client/compile/in_process.hpp"

#include <chrono>
#include <iostream>
#include <unistd.h>

#include "util/process.hpp"

#include "client/compile/pipeline.hpp"
#include "client/program_path.hpp"

namespace sccache {

namespace {

CompileRequest request_from_this_process(const std::vector<std::string>& argv) {
  CompileRequest request;
  request.argv = argv;
  std::error_code ec;
  request.cwd = std::filesystem::current_path(ec);
  request.environment = util::current_environment();
  request.stderr_is_tty = ::isatty(2) == 1;
  return request;
}

// Runs the compiler as the reply says, with this process's stdin, stdout and stderr.
int run_locally(const CompileReply& reply) {
  if (!reply.warning.empty()) {
    std::cerr << reply.warning << "\n";
  }
  util::SpawnOptions options;
  options.argv = reply.argv;
  options.executable = reply.executable;
  options.stdin_from = util::ChildStdin::inherit;
  try {
    return util::shell_exit_code(util::spawn(options).wait());
  } catch (const util::SpawnError& e) {
    std::cerr << "sccache: " << e.what() << "\n";
    return 127;
  }
}

int print(const CompileReply& reply) {
  std::cerr << reply.stderr_data;
  std::cerr.flush();
  std::cout << reply.stdout_data;
  std::cout.flush();
  return reply.exit_code;
}

}  // namespace

int compile_in_process(const std::vector<std::string>& compiler_argv) {
  const CompileRequest request = request_from_this_process(compiler_argv);
  std::optional<ClientConfig> config;
  std::string config_error;
  try {
    config = read_client_config(client_config_path());
  } catch (const ConfigError& e) {
    config_error = e.what();
  }
  if (!config) {
    // No statistics without a config: they live in its cache_dir.
    ClientContext fallback(ClientConfig{}, sccache_programs());
    CompileReply reply = run_compile(request, fallback);
    if (reply.kind == CompileReply::Kind::compiled) {
      return print(reply);
    }
    reply.warning = "sccache: warning: invalid configuration, compiling locally: " + config_error;
    return run_locally(reply);
  }
  ClientContext context(std::move(*config), sccache_programs());
  CompileReply reply = run_compile(request, context);
  if (reply.kind == CompileReply::Kind::compiled) {
    return print(reply);
  }
  count_local_compile(context.stats(), reply);
  const auto start = std::chrono::steady_clock::now();
  const int code = run_locally(reply);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  count_local_time(context.stats(), static_cast<uint64_t>(ms.count()));
  return code;
}

}  // namespace sccache
