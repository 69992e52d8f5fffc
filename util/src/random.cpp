#include "util/random.hpp"

#include <climits>
#include <stdexcept>

#include <openssl/rand.h>

namespace util {

std::string random_bytes(size_t count) {
  std::string raw(count, '\0');
  if (count > INT_MAX ||
      RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("OpenSSL's random generator failed");
  }
  return raw;
}

std::string random_hex(size_t count) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * count);
  for (unsigned char byte : random_bytes(count)) {
    hex += k_digits[byte >> 4];
    hex += k_digits[byte & 15];
  }
  return hex;
}

}  // namespace util
