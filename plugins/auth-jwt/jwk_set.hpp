// Public keys from a JSON Web Key Set (RFC 7517): RSA keys for RS256 and P-256 keys for ES256.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/Crypto/ECKey.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/SharedPtr.h>

namespace sccache::auth_jwt {

struct VerificationKey {
  std::string key_id;                         // the JWK's "kid", "" if it has none
  std::string algorithm;                      // "RS256" or "ES256"
  Poco::SharedPtr<Poco::Crypto::RSAKey> rsa;  // set for RS256
  Poco::SharedPtr<Poco::Crypto::ECKey> ec;    // set for ES256
};

class JwksError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses a JWKS document ({"keys": [...]}). Keys that cannot verify signatures here (encryption
// keys, other key types or curves, RSA under 2048 bits, private parts present) are skipped, each
// with a line in `skipped`, so the result may be empty. Throws JwksError if the document is
// malformed (not JSON, not an object, no "keys" array).
std::vector<VerificationKey> parse_jwks(std::string_view json, std::vector<std::string>* skipped);

}  // namespace sccache::auth_jwt
