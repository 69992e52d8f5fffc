// A JWT in compact JWS form ("header.payload.signature"), parsed strictly before any signature
// is checked: a size limit, three base64url segments, JSON objects, an allowed "alg" (never
// "none"), no "crit" extensions. Signatures are then checked against a key the caller chose.
//
// Every failure is a reason string that is safe to log and to send back: it never contains the
// token, a key, or any value taken from an unverified token.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <Poco/JSON/Object.h>

#include "auth-jwt/jwk_set.hpp"

namespace sccache::auth_jwt {

// Larger tokens are refused before they are decoded. Identity-provider tokens are ~1 KiB; a
// JOSE header ({"alg","typ","kid"}) well under 100 bytes.
inline constexpr size_t k_max_token_bytes = 8192;
inline constexpr size_t k_max_header_bytes = 1024;

struct CompactJws {
  std::string text;       // the token as received
  std::string algorithm;  // header "alg"
  std::string key_id;     // header "kid", "" if absent
  Poco::JSON::Object::Ptr claims;
  std::string signing_input;  // "header.payload", exactly as received
  std::string signature;      // decoded signature bytes
};

// Parses `text`; nullopt and `reason` when it is not a well-formed token whose algorithm is in
// `allowed_algorithms`.
std::optional<CompactJws> parse_compact_jws(std::string_view text,
                                            const std::set<std::string>& allowed_algorithms,
                                            std::string* reason);

// The same, for the token in an Authorization header ("Bearer <token>").
std::optional<CompactJws> parse_bearer_jws(std::string_view authorization,
                                           const std::set<std::string>& allowed_algorithms,
                                           std::string* reason);

// HS256 with `key`, compared in constant time.
bool hs256_signature_valid(const CompactJws& jws, std::string_view key);
// RS256 or ES256 with a public key of the matching type; false for any other pairing.
bool public_key_signature_valid(const CompactJws& jws, const VerificationKey& key);

}  // namespace sccache::auth_jwt
