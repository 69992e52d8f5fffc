// One level of the compile cache: a store of opaque entries by key (disk, Redis, or the two
// tiered). Keys are lowercase hex digests with a one-letter kind suffix ("<hex>R" a result,
// "<hex>M" a direct-mode manifest); values are encoded entries (cache_entry.hpp) the store never
// looks into.
//
// Threads: every method may be called from many threads at once. Failure: none throws; a store
// that cannot answer says so in the status, and the compile goes on as a miss.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sccache::cache {

enum class ReadStatus {
  hit,
  miss,
  error,    // the store failed (I/O error, refused, protocol error): a miss, counted
  timeout,  // the store did not answer in time: a miss, counted
};

struct ReadResult {
  ReadStatus status = ReadStatus::miss;
  std::string bytes;  // hit: the value
  std::string error;  // error/timeout: why, for the log (never a secret)
};

enum class WriteStatus { stored, skipped, error, timeout };

struct WriteResult {
  WriteStatus status = WriteStatus::stored;  // skipped: read-only, or too large for the store
  std::string error;
};

class CacheStorage {
 public:
  virtual ~CacheStorage() = default;

  virtual ReadResult get(std::string_view key) = 0;
  virtual WriteResult put(std::string_view key, std::string_view bytes) = 0;
  // Forgets a damaged entry (best effort).
  virtual void remove(std::string_view key) = 0;

  // For --show-stats: "Local disk: \"/home/u/.cache/sccache\"", "Redis: redis://host:6379/0".
  virtual std::string location() const = 0;
  virtual bool read_only() const = 0;
};

}  // namespace sccache::cache
