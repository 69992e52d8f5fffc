// base64url and HMAC-SHA256 as the apps and the auth plugins share them from the core.
#include <catch2/catch.hpp>

#include "sccache/token_crypto.hpp"

using namespace sccache;

namespace {

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : bytes) {
    out += digits[byte >> 4];
    out += digits[byte & 15];
  }
  return out;
}

}  // namespace

TEST_CASE("base64url round-trips without padding and decodes strictly") {
  const std::string bytes("\xfb\xff\x00 any bytes", 13);
  const std::string text = base64url_encode(bytes);
  CHECK(text.find_first_of("+/=") == std::string::npos);
  CHECK(base64url_decode(text) == bytes);
  CHECK(base64url_encode("") == "");
  CHECK(base64url_decode("") == std::string());

  CHECK_FALSE(base64url_decode("YWJj ZA"));  // whitespace
  CHECK_FALSE(base64url_decode("YWJj+A"));   // the standard alphabet
  CHECK_FALSE(base64url_decode("YWJjZ"));    // an impossible length
  CHECK_FALSE(base64url_decode("YWI="));     // padding, unless allowed
  CHECK(base64url_decode("YWI=", Base64Padding::allowed) == std::string("ab"));
  CHECK_FALSE(base64url_decode("YW=I", Base64Padding::allowed));
}

TEST_CASE("hmac_sha256 matches RFC 4231") {
  // Test case 2: key "Jefe".
  CHECK(hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(hmac_sha256("key", "data").size() == 32);
}
