#include "client/compile/remote_compile.hpp"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "util/fs.hpp"
#include "util/random.hpp"

#include "client/compile/deliver.hpp"
#include "client/compile/execute.hpp"
#include "client/compile/remote_job.hpp"
#include "client/fallback_reason.hpp"
#include "client/toolchain/toolchain.hpp"
#include "common/host_cpus.hpp"

namespace sccache {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
using Cause = CompileReply::LocalCause;

// How long a compile waits in the scheduler's queue when neither the cluster nor this machine
// has a free slot, before compiling locally anyway.
constexpr std::chrono::seconds k_queue_wait{60};

uint64_t elapsed_ms(Clock::time_point since) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

// Phase timings for SCCACHE_LOG=debug: where a remote compile's time goes.
class PhaseTimer {
 public:
  void mark(std::string_view phase) {
    const auto now = Clock::now();
    m_text += fmt::format(" {} {:.1f}", phase,
                          std::chrono::duration<double, std::milli>(now - m_last).count());
    m_last = now;
  }
  // A phase measured elsewhere (inside "remote").
  void add(std::string_view phase, double ms) { m_detail += fmt::format(" {} {:.1f}", phase, ms); }
  std::string text() const {
    return m_text + (m_detail.empty() ? "" : " (" + m_detail.substr(1) + ")");
  }

 private:
  Clock::time_point m_last = Clock::now();
  std::string m_text;
  std::string m_detail;
};

// A scratch directory for one job's outputs, removed with it.
class OutputsDir {
 public:
  explicit OutputsDir(const fs::path& parent) : m_path(parent / util::random_hex(8)) {
    fs::create_directories(m_path);
  }
  ~OutputsDir() { util::remove_tree(m_path); }
  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

CompileReply local(const PlannedCompile& planned, Cause cause, std::string reason,
                   std::string warning = {}) {
  return CompileReply::local(planned.compiler, planned.argv, cause, std::move(reason),
                             std::move(warning));
}

}  // namespace

CompileReply compile_remotely(const PlannedCompile& planned, const CompileRequest& request,
                              ClientContext& context, PreprocessedUnit* given) {
  const auto start = Clock::now();
  PhaseTimer timer;
  const ClientConfig& config = context.config();
  const fs::path client_dir = config.cache_dir / "client";
  std::optional<toolchain::Toolchain> toolchain;
  try {
    toolchain = context.toolchain_for(planned.compiler);
  } catch (const toolchain::ToolchainTooLarge& e) {
    throw DistFailure(FallbackReason::toolchain_too_large, e.what());
  } catch (const std::exception& e) {
    throw DistFailure(FallbackReason::toolchain_packaging, e.what());
  }
  if (!toolchain) {
    return local(planned, Cause::not_distributable, "no_dist");
  }
  timer.mark("toolchain");
  PreprocessedUnit unit = given ? std::move(*given) : preprocess(planned, request);
  if (unit.exit_code != 0) {
    // The code does not preprocess: let the real compiler say so, exactly as it would.
    return local(planned, Cause::not_distributable, "preprocessor_error");
  }
  timer.mark("preprocess");
  RemoteJob job =
      make_remote_job(planned, unit.job_path, std::move(unit.text), *toolchain, request);
  OutputsDir outputs(client_dir / "tmp");
  RemoteExecutor& cluster = context.cluster();
  timer.mark("setup");
  Execution execution;
  try {
    execution = execute_remote(
        cluster, job, outputs.path(),
        [&] { return LocalSlot::try_acquire(client_dir / "slots", usable_cpus()); }, k_queue_wait,
        [&](FallbackReason reason) {
          context.stats().update(
              [&](ClientStats& s) { s.remote_retries[std::string(to_string(reason))]++; });
        });
  } catch (const DistFailure& failure) {
    if (failure.toolchain_corrupt() && toolchain->archive.parent_path() == client_dir / "tc") {
      // Our cached archive is damaged (a path_override archive is the user's, and stays): drop
      // it so the next compile packages afresh.
      std::error_code ec;
      fs::remove(toolchain->archive, ec);
    }
    throw;
  }
  if (!execution.outcome) {  // the cluster is full and this machine has a free CPU
    CompileReply reply = local(planned, Cause::fallback, "no_capacity");
    reply.slot = std::move(execution.local_slot);
    return reply;
  }
  timer.mark("remote");
  RemoteOutcome& outcome = *execution.outcome;
  const std::string server = outcome.server_id;
  for (const auto& [phase, ms] : outcome.timings_ms) {
    timer.add(phase, ms);
  }
  for (const auto& [phase, ms] : outcome.result.timings_ms) {
    timer.add("server." + phase, ms);
  }
  CompileReply reply = deliver(planned, std::move(unit.diagnostics), std::move(outcome), request);
  const uint64_t ms = elapsed_ms(start);
  timer.mark("outputs");
  spdlog::debug("remote compile on {} in {} ms:{}", server, ms, timer.text());
  context.stats().update([&](ClientStats& s) {
    s.compile_requests++;
    s.remote_compiles++;
    s.remote_by_server[server]++;
    if (reply.exit_code != 0) {
      s.remote_compile_errors++;
    }
    s.remote_time_ms += ms;
  });
  return reply;
}

}  // namespace sccache
