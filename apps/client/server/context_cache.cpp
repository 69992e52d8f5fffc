#include "client/server/context_cache.hpp"

#include <algorithm>

namespace sccache {
namespace fs = std::filesystem;

namespace {

// What makes two requests need different contexts: the config file, and every setting that
// comes from the environment (HOME and XDG_* pick the defaults, SSL_CERT_* the trusted CAs,
// SCCACHE_* the rest).
std::string context_key(const fs::path& config, const Environment& env) {
  std::vector<std::string> settings;
  for (const auto& entry : env.entries()) {
    if (entry.starts_with("SCCACHE_") || entry.starts_with("HOME=") ||
        entry.starts_with("XDG_CACHE_HOME=") || entry.starts_with("SSL_CERT_")) {
      settings.push_back(entry);
    }
  }
  std::sort(settings.begin(), settings.end());
  std::string key = config.string();
  for (const auto& setting : settings) {
    key += '\0';
    key += setting;
  }
  return key;
}

}  // namespace

std::shared_ptr<ClientContext> ContextCache::get(const Environment& env) {
  const fs::path config_path = client_config_path(env);
  const std::string key = context_key(config_path, env);
  const std::optional<FileStamp> stamp = FileStamp::of(config_path);
  {
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(key);
    if (it != m_entries.end() && it->second.stamp == stamp) {
      return it->second.context;
    }
  }
  // Read outside the lock: a slow file system must not hold up the other requests.
  ClientConfig config = read_client_config(config_path, env);
  std::lock_guard lock(m_mutex);
  std::shared_ptr<StatsStore>& stats = m_stats[stats_file_of(config)];
  if (!stats) {
    stats = std::make_shared<StatsStore>(stats_file_of(config));
  }
  auto context = std::make_shared<ClientContext>(std::move(config), m_not_compilers, stats);
  m_entries[key] = {stamp, context};  // a replaced one finishes its compiles, then goes
  return context;
}

void ContextCache::flush_stats() {
  std::vector<std::shared_ptr<StatsStore>> stores;
  {
    std::lock_guard lock(m_mutex);
    for (const auto& [file, store] : m_stats) {
      stores.push_back(store);
    }
  }
  for (const auto& store : stores) {
    store->flush();
  }
}

}  // namespace sccache
