// Makes JWTs and JWKS for tests, independently of the auth-jwt plugin: keys from OpenSSL, RS256
// and ES256 signatures made with OpenSSL directly (ES256 as raw r||s), base64url from OpenSSL's
// codec, so the plugin (on Poco) is checked against tokens it did not make.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sccache::test {

std::string b64url(std::string_view bytes);
int64_t unix_now();

class SigningKey {
 public:
  enum class Kind { rsa2048, ec_p256 };
  SigningKey(Kind kind, std::string key_id);
  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  const std::string& key_id() const { return m_key_id; }
  std::string algorithm() const;   // "RS256" or "ES256"
  std::string public_jwk() const;  // one JWK object, as JSON
  std::string public_pem() const;  // SubjectPublicKeyInfo PEM
  // A JWT with these claims (a JSON object text), signed by this key; `header` overrides the
  // default {"alg","typ","kid"} header when not empty.
  std::string mint(const std::string& claims, const std::string& header = "") const;

 private:
  std::string sign(std::string_view input) const;
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  Kind m_kind;
  std::string m_key_id;
};

// {"keys": [...]} of these keys' public halves.
std::string jwks(const std::vector<const SigningKey*>& keys);

// An HS256 JWT with `claims`, signed with `secret` (raw bytes); `header` overrides the header.
std::string mint_hs256(std::string_view secret, const std::string& claims,
                       const std::string& header = R"({"alg":"HS256","typ":"JWT"})");
// An unsigned JWT: {"alg":"none"} and an empty signature.
std::string mint_unsigned(const std::string& claims);

}  // namespace sccache::test
