// JWKS parsing: usable signing keys are kept, everything else is skipped with a reason.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "auth-jwt/jwk_set.hpp"
#include "support/jwt_mint.hpp"

using namespace sccache;
using namespace sccache::test;

TEST_CASE("a JWKS yields its RSA and P-256 signing keys, and skips the rest with reasons") {
  SigningKey rsa(SigningKey::Kind::rsa2048, "rsa");
  SigningKey ec(SigningKey::Kind::ec_p256, "ec");
  const std::string small_modulus = b64url(std::string(1, '\x80') + std::string(127, '\x01'));
  const std::string document = fmt::format(
      R"({{"keys":[{},{},
      {{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"}},
      {{"kty":"RSA","kid":"small","n":"{}","e":"AQAB"}},
      {{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}},
      {{"kty":"EC","kid":"p384","crv":"P-384","x":"AA","y":"AA"}},
      {{"kty":"EC","kid":"off-curve","crv":"P-256","x":"{}","y":"{}"}},
      {{"kty":"RSA","kid":"private","n":"AQAB","e":"AQAB","d":"AQAB"}},
      {{"kty":"RSA","kid":"wrong-alg","alg":"RS512","n":"{}","e":"AQAB"}},
      "not an object"]}})",
      rsa.public_jwk(), ec.public_jwk(), small_modulus, b64url(std::string(32, '\x01')),
      b64url(std::string(32, '\x02')), small_modulus);
  std::vector<std::string> skipped;
  auto keys = auth_jwt::parse_jwks(document, &skipped);
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].key_id == "rsa");
  CHECK(keys[0].algorithm == "RS256");
  CHECK(keys[0].rsa);
  CHECK(keys[1].key_id == "ec");
  CHECK(keys[1].algorithm == "ES256");
  CHECK(keys[1].ec);

  const std::vector<std::string> expected = {
      "\"use\" is \"enc\"", "1024 bits",           "key type \"oct\"", "other than P-256",
      "not on the P-256",   "holds a private key", "1024 bits",        "not a JSON object"};
  REQUIRE(skipped.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO(skipped[i]);
    CHECK(skipped[i].find(expected[i]) != std::string::npos);
  }
}

TEST_CASE("a JWKS that is not JSON is an error; one without usable keys is an empty set") {
  std::vector<std::string> skipped;
  CHECK_THROWS_WITH(auth_jwt::parse_jwks("{", &skipped), Catch::Contains("not valid JSON"));
  CHECK_THROWS_WITH(auth_jwt::parse_jwks("[]", &skipped), Catch::Contains("not a JSON object"));
  CHECK_THROWS_WITH(auth_jwt::parse_jwks("{}", &skipped), Catch::Contains("no \"keys\" array"));
  CHECK(auth_jwt::parse_jwks(R"({"keys":[]})", &skipped).empty());
  CHECK(skipped.empty());
  CHECK(auth_jwt::parse_jwks(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})", &skipped).empty());
  CHECK(skipped.size() == 1);
}
