#include "secure_random.hpp"

#include <climits>
#include <stdexcept>

#include <fmt/format.h>
#include <openssl/rand.h>

#include "sccache/token_crypto.hpp"

namespace sccache {

std::string random_bytes(size_t count) {
  std::string raw(count, '\0');
  if (count > INT_MAX ||
      RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("OpenSSL's random generator failed");
  }
  return raw;
}

std::string random_base64url(size_t count) {
  return base64url_encode(random_bytes(count));
}

std::string random_hex(size_t count) {
  std::string hex;
  for (unsigned char byte : random_bytes(count)) {
    hex += fmt::format("{:02x}", byte);
  }
  return hex;
}

}  // namespace sccache
