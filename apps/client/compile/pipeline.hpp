// A compile from request to reply: Plan -> Preprocess -> Execute (remote, or local) -> Deliver.
//
//   plan.hpp        which compiler, and can the command go to the cluster
//   preprocess.hpp  the unit, preprocessed here (headers never leave; the depfile is written)
//   remote_job.hpp  the job a build server runs
//   execute.hpp     the job on the cluster (or a free local CPU when the cluster is full)
//   deliver.hpp     the outputs in place, the diagnostics and exit code of the compiler
//
// A local compile is never run here: the reply says run_locally and the caller runs the compiler
// with its own stdio, so it is indistinguishable from running the compiler (stdin, terminal,
// signals). Nothing here reads process globals, so one ClientContext can serve many wrappers.
//
// Threads: run_compile() may run concurrently on one context. Failure: none escapes; every
// problem becomes a named local compile.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>

#include "client/client_config.hpp"
#include "client/compile/remote_executor.hpp"
#include "client/compile/request.hpp"
#include "client/stats.hpp"

namespace sccache {

// What compiles share and keep: the config, the statistics, the cluster connection.
class ClientContext {
 public:
  // `self` is this program's path (skipped when looking for the compiler in PATH).
  ClientContext(ClientConfig config, std::filesystem::path self);
  ~ClientContext();

  const ClientConfig& config() const { return m_config; }
  const std::filesystem::path& self() const { return m_self; }
  StatsFile& stats() { return m_stats; }
  // The cluster, connected on first use and kept, so its connections are reused. Throws
  // ConfigError/PluginError for a bad [dist.auth] (the compile then goes local).
  RemoteExecutor& cluster();
  // Stands in another cluster (tests).
  void set_cluster(std::unique_ptr<RemoteExecutor> cluster);

 private:
  const ClientConfig m_config;
  const std::filesystem::path m_self;
  StatsFile m_stats;
  std::mutex m_mutex;
  std::unique_ptr<RemoteExecutor> m_cluster;  // guarded by m_mutex until set
};

CompileReply run_compile(const CompileRequest& request, ClientContext& context);

// Counts a local compile the caller ran for `reply` (kind run_locally), taking `ms`.
void count_local_compile(StatsFile& stats, const CompileReply& reply, uint64_t ms);

}  // namespace sccache
