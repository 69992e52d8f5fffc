#include "util/sha256.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <vector>

#include <openssl/evp.h>

#include "util/unique_fd.hpp"

namespace util {

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {
  if (m_ctx == nullptr || EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(m_ctx);
    throw std::runtime_error("OpenSSL cannot start a SHA-256");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(m_ctx);
}

void Sha256::update(const void* data, size_t size) {
  if (EVP_DigestUpdate(m_ctx, data, size) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 update failed");
  }
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(m_ctx, digest, &length) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 final failed");
  }
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex += k_digits[digest[i] >> 4];
    hex += k_digits[digest[i] & 15];
  }
  return hex;
}

std::string sha256_hex(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.hex_digest();
}

std::string sha256_file_hex(const std::filesystem::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  }
  Sha256 hash;
  std::vector<char> buffer(1 << 16);
  while (true) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw std::runtime_error("cannot read " + file.string() + ": " + std::strerror(errno));
    }
    if (n == 0) {
      break;
    }
    hash.update(buffer.data(), static_cast<size_t>(n));
  }
  return hash.hex_digest();
}

}  // namespace util
