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
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "sccache/file_stamp.hpp"

#include "client/cache/compile_cache.hpp"
#include "client/client_config.hpp"
#include "client/compile/remote_executor.hpp"
#include "client/compile/request.hpp"
#include "client/stats_store.hpp"
#include "client/toolchain/toolchain.hpp"

namespace sccache {

// What compiles share and keep: the config, the statistics, the cluster connection, the cache.
class ClientContext {
 public:
  // `not_compilers`: sccache's own programs, skipped when looking for the compiler in PATH (a
  // symlink gcc -> sccache must not find sccache).
  // `stats`: where its statistics go; by default a store of its own for the config's
  // cache_dir. Contexts that share a cache_dir should share one (the local server's do).
  ClientContext(ClientConfig config, std::vector<std::filesystem::path> not_compilers,
                std::shared_ptr<StatsStore> stats = nullptr);
  ~ClientContext();

  const ClientConfig& config() const { return m_config; }
  const std::vector<std::filesystem::path>& not_compilers() const { return m_not_compilers; }
  StatsStore& stats() { return *m_stats; }
  // The cluster, connected on first use and kept, so its connections are reused. Throws
  // ConfigError/PluginError for a bad [dist.auth] (the compile then goes local).
  RemoteExecutor& cluster();
  // Stands in another cluster (tests).
  void set_cluster(std::unique_ptr<RemoteExecutor> cluster);
  // The toolchain of `compiler` (toolchain/toolchain.hpp), remembered while the compiler file
  // and the archive stay as they were: a hit costs two stat() calls. Throws as
  // find_or_package_toolchain does.
  std::optional<toolchain::Toolchain> toolchain_for(const std::filesystem::path& compiler);
  // The compile cache, opened on first use and kept (its file digests stay warm); nullptr when
  // the config turns it off (or has no directory for it).
  cache::CompileCache* cache();

 private:
  const ClientConfig m_config;
  const std::vector<std::filesystem::path> m_not_compilers;
  std::shared_ptr<StatsStore> m_stats;
  std::mutex m_mutex;
  std::unique_ptr<RemoteExecutor> m_cluster;  // guarded by m_mutex until set
  struct KnownToolchain {
    FileStamp compiler;
    std::optional<toolchain::Toolchain> toolchain;  // nullopt: no_dist
  };
  std::map<std::filesystem::path, KnownToolchain> m_toolchains;  // guarded by m_mutex
  std::once_flag m_cache_opened;
  std::unique_ptr<cache::CompileCache> m_cache;  // set once, under m_cache_opened
};

CompileReply run_compile(const CompileRequest& request, ClientContext& context);

// Where a config's statistics are kept: <cache_dir>/client/stats.json.
std::filesystem::path stats_file_of(const ClientConfig& config);

// Counts a local compile the caller runs for `reply` (kind run_locally): when it starts (so a
// --show-stats right after the build sees it), then its duration once it ended.
void count_local_compile(StatsStore& stats, const CompileReply& reply);
void count_local_time(StatsStore& stats, uint64_t ms);

}  // namespace sccache
