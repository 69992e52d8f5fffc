// The build server's toolchain archives: <cache_dir>/tc/<id>, content-addressed by SHA-256 and
// kept within toolchain_cache_size, least recently used first out.
//
// Threads: every method is thread-safe. Failure: store() throws ToolchainRejected for a bad
// upload (hash mismatch, too large), leaving nothing behind; other I/O errors propagate.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "sccache/sandbox.hpp"  // is_toolchain_id

#include "common/wire_errors.hpp"

namespace sccache {

class ToolchainRejected : public std::runtime_error {
 public:
  ToolchainRejected(wire::ErrorCode code, const std::string& message)
      : std::runtime_error(message), m_code(code) {}
  wire::ErrorCode code() const { return m_code; }  // what to answer with

 private:
  wire::ErrorCode m_code;
};

class ToolchainArchives {
 public:
  // `on_evict` is called (without the store's lock) for each archive evicted.
  ToolchainArchives(std::filesystem::path dir, uint64_t max_bytes,
                    std::function<void(const std::string&)> on_evict);

  bool contains(const std::string& id);
  // The archive's path, marking it recently used; empty if absent.
  std::filesystem::path use(const std::string& id);
  std::vector<std::string> ids() const;
  // Reads an archive from `in`, checks that its SHA-256 is `id`, and keeps it. Concurrent
  // uploads of one id are all read; the first complete one is kept.
  void store(const std::string& id, std::istream& in);
  // Whether an upload of `id` is under way now.
  bool uploading(const std::string& id) const;
  // Waits (up to `timeout`) while an upload of `id` is under way; true if `id` is then present.
  bool wait_for_upload(const std::string& id, std::chrono::milliseconds timeout);
  uint64_t total_bytes() const;

 private:
  void evict_over_limit(std::vector<std::string>* evicted);

  struct Entry {
    uint64_t size = 0;
    std::chrono::steady_clock::time_point last_used;
  };
  const std::filesystem::path m_dir;
  const uint64_t m_max_bytes;
  std::function<void(const std::string&)> m_on_evict;
  mutable std::mutex m_mutex;
  std::map<std::string, Entry> m_entries;
  std::map<std::string, unsigned> m_uploading;  // id -> uploads in progress
  std::condition_variable m_upload_done;
  uint64_t m_total = 0;
};

}  // namespace sccache
