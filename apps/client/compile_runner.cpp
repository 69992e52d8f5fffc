#include "client/compile_runner.hpp"

#include <chrono>
#include <clocale>
#include <functional>
#include <iostream>
#include <langinfo.h>
#include <random>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "util/process.hpp"

#include "client/client_config.hpp"
#include "client/compiler/analyze.hpp"
#include "client/compiler/commands.hpp"
#include "client/dist_client.hpp"
#include "client/local_slots.hpp"
#include "client/program_path.hpp"
#include "client/source_files.hpp"
#include "client/stats.hpp"
#include "client/toolchain/toolchain.hpp"
#include "common/host_cpus.hpp"

namespace sccache {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// Phase timings for SCCACHE_LOG=debug: where a remote compile's time goes.
class PhaseTimer {
 public:
  void mark(std::string_view phase) {
    const auto now = Clock::now();
    m_text += fmt::format(" {} {:.1f}", phase,
                          std::chrono::duration<double, std::milli>(now - m_last).count());
    m_last = now;
  }
  const std::string& text() const { return m_text; }

 private:
  Clock::time_point m_last = Clock::now();
  std::string m_text;
};

// How long a compile waits in the scheduler's queue when neither the cluster nor this machine
// has a free slot, before compiling locally anyway.
constexpr std::chrono::seconds k_queue_wait{60};

uint64_t elapsed_ms(Clock::time_point since) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

fs::path resolve_compiler(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return fs::absolute(name).lexically_normal();
  }
  const char* path = std::getenv("PATH");
  return find_in_path(name, path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin",
                      self_executable());
}

// By name, as invoked or after symlinks: `cc` may be clang.
compiler::Family family_of(const fs::path& compiler) {
  std::error_code ec;
  return compiler::family_from_executable_name(compiler.string()) == compiler::Family::clang
             ? compiler::Family::clang
             : compiler::family_from_executable_name(fs::canonical(compiler, ec).string());
}

// The remote compiler sees no locale files: keep what matters for its output (UTF-8 quotes in
// diagnostics or not) with the locale every glibc has built in.
std::vector<std::pair<std::string, std::string>> remote_environment() {
  std::setlocale(LC_ALL, "");
  const bool utf8 = std::string_view(nl_langinfo(CODESET)) == "UTF-8";
  std::vector<std::pair<std::string, std::string>> env = {{"LC_ALL", utf8 ? "C.UTF-8" : "C"}};
  for (const char* key : {"GCC_COLORS", "SOURCE_DATE_EPOCH"}) {
    if (const char* value = std::getenv(key)) {
      env.emplace_back(key, value);
    }
  }
  return env;
}

// Errors that come from the remote toolchain, not from the user's code.
bool looks_like_toolchain_breakage(const std::string& stderr_text) {
  for (const char* marker : {"cannot execute '", "error while loading shared libraries",
                             "execvp:", "internal compiler error"}) {
    if (stderr_text.find(marker) != std::string::npos) {
      return true;
    }
  }
  return false;
}

class Invocation {
 public:
  // argv[0] becomes the resolved path: gcc finds cc1 relative to where argv[0] leads, and a bare
  // name could lead back to a masquerading symlink.
  Invocation(std::vector<std::string> argv, fs::path compiler)
      : m_argv(std::move(argv)), m_compiler(std::move(compiler)) {
    m_argv[0] = m_compiler.string();
  }

  int run();

 private:
  // Runs the original command here; `count` adds the reason to the stats in the same update.
  int compile_locally(const std::function<void(ClientStats&)>& count);
  int run_remote(const compiler::CompilePlan& plan, const ClientConfig& config);
  // Puts outputs extracted under `root` at their real paths; false if one is missing.
  bool install_outputs(const compiler::CompilePlan& plan, const fs::path& root);
  fs::path job_path(const std::string& path) const { return (m_cwd / path).lexically_normal(); }

  std::vector<std::string> m_argv;  // argv[0] is the compiler as given
  fs::path m_compiler;
  fs::path m_cwd = fs::current_path();
  std::optional<StatsFile> m_stats;
};

int Invocation::compile_locally(const std::function<void(ClientStats&)>& count) {
  const auto start = Clock::now();
  util::SpawnOptions options;
  options.argv = m_argv;
  options.executable = m_compiler;
  options.stdin_from = util::ChildStdin::inherit;
  int code = util::shell_exit_code(util::spawn(options).wait());
  if (m_stats) {
    const uint64_t ms = elapsed_ms(start);
    m_stats->update([&](ClientStats& s) {
      s.compile_requests++;
      s.local_compiles++;
      s.local_time_ms += ms;
      count(s);
    });
  }
  return code;
}

bool Invocation::install_outputs(const compiler::CompilePlan& plan, const fs::path& root) {
  for (const auto& output : plan.outputs) {
    const fs::path target = job_path(output);
    const fs::path extracted = root / target.relative_path();
    std::error_code ec;
    if (!fs::exists(extracted, ec)) {
      continue;  // the compiler did not write it (e.g. it failed); neither would it locally
    }
    fs::rename(extracted, target, ec);
    if (ec) {
      // Another filesystem: copy beside the target, then rename, so readers never see half.
      const fs::path temp = target.string() + ".sccache-tmp";
      fs::copy_file(extracted, temp, fs::copy_options::overwrite_existing);
      fs::rename(temp, target);
    }
  }
  return true;
}

int Invocation::run_remote(const compiler::CompilePlan& plan, const ClientConfig& config) {
  const auto start = Clock::now();
  PhaseTimer timer;
  const fs::path client_dir = config.cache_dir / "client";
  std::optional<toolchain::Toolchain> toolchain;
  try {
    toolchain = toolchain::find_or_package_toolchain(m_compiler, config.toolchains, client_dir,
                                                     config.toolchain_cache_size);
  } catch (const toolchain::ToolchainTooLarge& e) {
    throw DistFailure(FallbackReason::toolchain_too_large, e.what());
  } catch (const std::exception& e) {
    throw DistFailure(FallbackReason::toolchain_packaging, e.what());
  }
  if (!toolchain) {
    return compile_locally([](ClientStats& s) { s.not_distributed["no_dist"]++; });
  }
  timer.mark("toolchain");
  // Preprocess here: headers never leave this machine, and the depfile is written now.
  // Where the preprocessed unit goes in the job's tree. clang in rewrite-includes mode names
  // debug info and the file symbol after the unit itself, so it takes the source's own path (clang
  // quotes diagnostics from the unit, so the source is not needed there); otherwise it sits
  // beside the source, which stays available for gcc to quote in diagnostics.
  const bool unit_replaces_source =
      plan.family == compiler::Family::clang && plan.rewrite_includes_only;
  const fs::path preprocessed_job_path =
      unit_replaces_source
          ? job_path(plan.input)
          : job_path(plan.input).parent_path() / compiler::preprocessed_file_name(plan);
  std::vector<std::string> preprocess = compiler::preprocess_command(plan, "-");
  preprocess.insert(preprocess.begin(), m_argv[0]);
  util::SpawnOptions cpp_options;
  cpp_options.argv = preprocess;
  cpp_options.executable = m_compiler;
  util::CapturedRun cpp = util::run_captured(cpp_options);
  const int cpp_exit = util::shell_exit_code(cpp.status);
  if (cpp_exit != 0) {
    // The code does not preprocess: let the real compiler say so, exactly as it would.
    return compile_locally([](ClientStats& s) { s.not_distributed["preprocessor_error"]++; });
  }
  timer.mark("preprocess");

  RemoteJob job;
  job.toolchain_id = toolchain->id;
  job.toolchain_archive = toolchain->archive;
  job.command.executable = toolchain->remote_compiler;
  job.command.arguments = compiler::remote_compile_command(plan, preprocessed_job_path.string());
  if (::isatty(2) && plan.family == compiler::Family::gcc) {
    // The remote stderr is no terminal; keep the colours a local compile would show.
    job.command.arguments.push_back("-fdiagnostics-color=always");
  }
  job.command.environment = remote_environment();
  job.command.cwd = m_cwd.string();
  for (const auto& output : plan.outputs) {
    job.command.outputs.push_back(job_path(output).string());
  }
  // The files diagnostics may quote: the project's always, system headers on demand (below).
  const ReferencedFiles sources = referenced_files(cpp.out, m_cwd);
  for (const auto& file : sources.project) {
    if (file != preprocessed_job_path) {
      job.inputs.push_back({file.string(), file, {}, 0644});
    }
  }
  job.inputs.push_back({preprocessed_job_path.string(), {}, std::move(cpp.out), 0644});

  const fs::path outputs_root =
      client_dir / "tmp" / fmt::format("{}-{:x}", ::getpid(), std::random_device{}());
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{outputs_root};
  fs::create_directories(outputs_root);

  DistClient client(config);
  timer.mark("connect-setup");
  RemoteOutcome outcome;
  try {
    try {
      outcome = client.run(job, outputs_root);
    } catch (const DistFailure& failure) {
      if (failure.reason() != FallbackReason::no_capacity) {
        throw;
      }
      // The cluster is full. A free local CPU takes the job; otherwise wait for a remote slot.
      if (auto slot = LocalSlot::try_acquire(client_dir / "slots", usable_cpus())) {
        return compile_locally([](ClientStats& s) { s.local_fallbacks["no_capacity"]++; });
      }
      outcome = client.run(job, outputs_root, k_queue_wait);
    }
  } catch (const DistFailure& failure) {
    if (failure.toolchain_corrupt() && toolchain->archive.parent_path() == client_dir / "tc") {
      // Our cached archive is damaged (a path_override archive is the user's, and stays): drop
      // it so the next compile packages afresh.
      std::error_code ec;
      fs::remove(toolchain->archive, ec);
    }
    throw;
  }
  timer.mark("remote");
  if (outcome.result.exit_code != 0 && looks_like_toolchain_breakage(outcome.result.stderr_data)) {
    throw DistFailure(FallbackReason::sandbox_error,
                      "the compiler could not run on " + outcome.server_id);
  }
  install_outputs(plan, outputs_root);
  std::cerr << cpp.err << outcome.result.stderr_data;
  std::cout << outcome.result.stdout_data;
  std::cout.flush();
  const uint64_t ms = elapsed_ms(start);
  timer.mark("outputs");
  spdlog::debug("remote compile on {} in {} ms:{}", outcome.server_id, ms, timer.text());
  m_stats->update([&](ClientStats& s) {
    s.compile_requests++;
    s.remote_compiles++;
    s.remote_by_server[outcome.server_id]++;
    if (outcome.result.exit_code != 0) {
      s.remote_compile_errors++;
    }
    s.remote_time_ms += ms;
  });
  return outcome.result.exit_code;
}

int Invocation::run() {
  ClientConfig config;
  try {
    config = read_client_config(client_config_path());
  } catch (const ConfigError& e) {
    std::cerr << "sccache: warning: invalid configuration, compiling locally: " << e.what() << "\n";
    return compile_locally([](ClientStats&) {});  // no stats file without a config
  }
  m_stats.emplace(config.cache_dir / "client" / "stats.json");

  const std::vector<std::string> args(m_argv.begin() + 1, m_argv.end());
  const compiler::Compiler compiler{family_of(m_compiler),
                                    compiler::is_cxx_driver(m_compiler.string())};
  compiler::Analysis analysis = compiler::analyze(compiler, args, config.rewrite_includes_only);
  std::string not_distributed;
  if (!analysis.plan) {
    not_distributed = std::string(compiler::to_string(analysis.reason));
  } else if (!config.scheduler) {
    not_distributed = "dist_disabled";
  } else if (std::getenv("DEPENDENCIES_OUTPUT") != nullptr ||
             std::getenv("SUNPRO_DEPENDENCIES") != nullptr) {
    not_distributed = "dependencies_env";  // gcc would write a depfile the remote side cannot
  }
  if (!not_distributed.empty()) {
    spdlog::debug("compiling locally ({}{}{})", not_distributed,
                  analysis.detail.empty() ? "" : ": ", analysis.detail);
    return compile_locally([&](ClientStats& s) { s.not_distributed[not_distributed]++; });
  }
  std::string fallback;
  try {
    return run_remote(*analysis.plan, config);
  } catch (const DistFailure& failure) {
    fallback = std::string(to_string(failure.reason()));
    if (failure.reason() != FallbackReason::no_capacity) {
      std::cerr << fmt::format("sccache: warning: compiling locally: {} ({})\n", fallback,
                               failure.what());
    }
  } catch (const std::exception& e) {
    fallback = "client_error";
    std::cerr << "sccache: warning: compiling locally: " << e.what() << "\n";
  }
  return compile_locally([&](ClientStats& s) { s.local_fallbacks[fallback]++; });
}

}  // namespace

int run_compiler(const std::vector<std::string>& compiler_argv) {
  const fs::path compiler = resolve_compiler(compiler_argv.at(0));
  if (compiler.empty()) {
    std::cerr << "sccache: cannot find compiler '" << compiler_argv[0] << "' in PATH\n";
    return 127;
  }
  return Invocation(compiler_argv, compiler).run();
}

}  // namespace sccache
