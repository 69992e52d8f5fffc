// The local server's client contexts (compile/pipeline.hpp), one per configuration its wrappers
// name: the config file their environment points at (SCCACHE_CONF, XDG_CONFIG_HOME, HOME) and
// their SCCACHE_* and SSL_CERT_* settings. A context is made on first use and kept — its plugins,
// connections and toolchain lookups stay warm — and made anew when its config file changes.
//
// Threads: thread-safe. Failure: get() throws ConfigError for a config that does not read.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sccache/file_stamp.hpp"

#include "client/compile/pipeline.hpp"
#include "common/environment.hpp"

namespace sccache {

class ContextCache {
 public:
  explicit ContextCache(std::vector<std::filesystem::path> not_compilers)
      : m_not_compilers(std::move(not_compilers)) {}

  std::shared_ptr<ClientContext> get(const Environment& env);
  // Adds every context's pending statistics to its stats file.
  void flush_stats();

 private:
  struct Entry {
    std::optional<FileStamp> stamp;  // of the config file; nullopt when there is none
    std::shared_ptr<ClientContext> context;
  };

  const std::vector<std::filesystem::path> m_not_compilers;
  std::mutex m_mutex;
  std::map<std::string, Entry> m_entries;  // guarded by m_mutex
  // One store per stats file, shared by every context that counts into it, so a --show-stats in
  // any of their environments sees every pending count.
  std::map<std::filesystem::path, std::shared_ptr<StatsStore>> m_stats;  // guarded by m_mutex
};

}  // namespace sccache
