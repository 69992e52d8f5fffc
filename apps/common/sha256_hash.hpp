// Streaming SHA-256 (OpenSSL EVP), hex-encoded: toolchain ids on the client and the check of
// uploads on the build server.
#pragma once

#include <cstddef>
#include <string>

struct evp_md_ctx_st;

namespace sccache {

// Not thread-safe; one object per hash. Failure: std::runtime_error (OpenSSL errors).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  // The lowercase hex digest of everything updated so far; call once.
  std::string hex_digest();

 private:
  evp_md_ctx_st* m_ctx;
};

}  // namespace sccache
