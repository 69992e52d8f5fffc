#include "client/cache/compile_cache.hpp"

#include "client/cache/redis_store.hpp"

namespace sccache::cache {

namespace {

void note(Lookup& lookup, const ReadResult& read) {
  if (read.status == ReadStatus::error) {
    lookup.read_errors++;
    lookup.error = read.error;
  } else if (read.status == ReadStatus::timeout) {
    lookup.timeouts++;
    lookup.error = read.error;
  }
}

void note(Store& store, const WriteResult& write) {
  if (write.status == WriteStatus::error) {
    store.write_errors++;
    store.error = write.error;
  } else if (write.status == WriteStatus::timeout) {
    store.timeouts++;
    store.error = write.error;
  }
}

}  // namespace

CompileCache::CompileCache(const CacheConfig& config, std::unique_ptr<CacheStorage> remote)
    : m_config(config),
      m_disk(config.dir, config.max_size, config.local_read_only),
      m_remote(std::move(remote)) {}

Lookup CompileCache::get(std::string_view key) {
  Lookup lookup;
  ReadResult local = m_disk.get(key);
  note(lookup, local);
  if (local.status == ReadStatus::hit) {
    lookup.hit = true;
    lookup.bytes = std::move(local.bytes);
    return lookup;
  }
  if (!m_remote) {
    return lookup;
  }
  ReadResult remote = m_remote->get(key);
  note(lookup, remote);
  if (remote.status == ReadStatus::hit) {
    lookup.hit = true;
    lookup.from_remote = true;
    lookup.bytes = std::move(remote.bytes);
    m_disk.put(key, lookup.bytes);  // the next hit is local
  }
  return lookup;
}

Store CompileCache::put(std::string_view key, std::string_view bytes) {
  Store store;
  note(store, m_disk.put(key, bytes));
  if (m_remote) {
    note(store, m_remote->put(key, bytes));
  }
  return store;
}

void CompileCache::remove(std::string_view key) {
  m_disk.remove(key);
  if (m_remote && !m_remote->read_only()) {
    m_remote->remove(key);
  }
}

std::string CompileCache::location() const {
  std::string text = m_disk.location();
  if (m_remote) {
    text += ", " + m_remote->location();
  }
  return text;
}

std::unique_ptr<CompileCache> open_compile_cache(const CacheConfig& config) {
  std::unique_ptr<CacheStorage> remote;
  if (config.redis) {
    remote = std::make_unique<RedisStore>(*config.redis);
  }
  return std::make_unique<CompileCache>(config, std::move(remote));
}

}  // namespace sccache::cache
