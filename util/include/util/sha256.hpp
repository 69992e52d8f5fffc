// Streaming SHA-256 (OpenSSL EVP) giving lowercase hex digests.
//
// Threads: a Sha256 object is used by one thread at a time; the free functions are thread-safe.
// Failure: std::runtime_error (OpenSSL failure, unreadable file).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace util {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // The lowercase hex digest of everything updated so far; call once.
  std::string hex_digest();

 private:
  evp_md_ctx_st* m_ctx;
};

std::string sha256_hex(std::string_view data);
std::string sha256_file_hex(const std::filesystem::path& file);

}  // namespace util
