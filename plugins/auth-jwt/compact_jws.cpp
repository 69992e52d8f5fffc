#include "auth-jwt/compact_jws.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include "sccache/auth.hpp"
#include "sccache/token_crypto.hpp"

namespace sccache::auth_jwt {

namespace {

Poco::JSON::Object::Ptr decode_json_object(std::string_view segment) {
  auto json = base64url_decode(segment);
  if (!json) {
    return nullptr;
  }
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var value = parser.parse(*json);
    if (value.type() != typeid(Poco::JSON::Object::Ptr)) {
      return nullptr;
    }
    return value.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return nullptr;
  }
}

std::string string_member(const Poco::JSON::Object& object, const std::string& key, bool* ok) {
  *ok = true;
  if (!object.has(key)) {
    return {};
  }
  Poco::Dynamic::Var value = object.get(key);
  if (!value.isString()) {
    *ok = false;
    return {};
  }
  return value.extract<std::string>();
}

}  // namespace

std::optional<CompactJws> parse_compact_jws(std::string_view text,
                                            const std::set<std::string>& allowed_algorithms,
                                            std::string* reason) {
  if (text.empty()) {
    *reason = "empty token";
    return std::nullopt;
  }
  if (text.size() > k_max_token_bytes) {
    *reason = "token too large (over " + std::to_string(k_max_token_bytes) + " bytes)";
    return std::nullopt;
  }
  const size_t first = text.find('.');
  const size_t second = first == std::string_view::npos ? first : text.find('.', first + 1);
  if (second == std::string_view::npos || text.find('.', second + 1) != std::string_view::npos) {
    *reason = "malformed token: not three dot-separated parts";
    return std::nullopt;
  }
  const std::string_view header_part = text.substr(0, first);
  const std::string_view payload_part = text.substr(first + 1, second - first - 1);
  const std::string_view signature_part = text.substr(second + 1);
  if (header_part.size() > k_max_header_bytes) {
    *reason = "token header too large (over " + std::to_string(k_max_header_bytes) + " bytes)";
    return std::nullopt;
  }

  Poco::JSON::Object::Ptr header = decode_json_object(header_part);
  if (!header) {
    *reason = "malformed token: the header is not base64url JSON";
    return std::nullopt;
  }
  bool ok = false;
  CompactJws jws;
  jws.algorithm = string_member(*header, "alg", &ok);
  if (!ok || jws.algorithm.empty()) {
    *reason = "malformed token: no algorithm in the header";
    return std::nullopt;
  }
  if (jws.algorithm == "none" || jws.algorithm == "None" || jws.algorithm == "NONE") {
    *reason = "unsigned tokens (alg none) are never accepted";
    return std::nullopt;
  }
  if (allowed_algorithms.count(jws.algorithm) == 0) {
    std::string allowed;
    for (const auto& a : allowed_algorithms) {
      allowed += (allowed.empty() ? "" : ", ") + a;
    }
    *reason = "token algorithm not accepted here (accepted: " + allowed + ")";
    return std::nullopt;
  }
  if (header->has("crit")) {
    *reason = "token header has critical extensions, which are not supported";
    return std::nullopt;
  }
  jws.key_id = string_member(*header, "kid", &ok);
  if (!ok) {
    *reason = "malformed token: the key id is not a string";
    return std::nullopt;
  }
  jws.claims = decode_json_object(payload_part);
  if (!jws.claims) {
    *reason = "malformed token: the payload is not base64url JSON";
    return std::nullopt;
  }
  auto signature = base64url_decode(signature_part);
  if (!signature || signature->empty()) {
    *reason = "malformed token: bad signature encoding";
    return std::nullopt;
  }
  jws.text = std::string(text);
  jws.signing_input = std::string(text.substr(0, second));
  jws.signature = std::move(*signature);
  return jws;
}

std::optional<CompactJws> parse_bearer_jws(std::string_view authorization,
                                           const std::set<std::string>& allowed_algorithms,
                                           std::string* reason) {
  if (authorization.empty()) {
    *reason = "no bearer token in the Authorization header";
    return std::nullopt;
  }
  const std::string_view token = bearer_token(authorization);
  if (token.empty()) {
    *reason = "the Authorization header is not a bearer token";
    return std::nullopt;
  }
  return parse_compact_jws(token, allowed_algorithms, reason);
}

bool hs256_signature_valid(const CompactJws& jws, std::string_view key) {
  if (jws.algorithm != Poco::JWT::Signer::ALGO_HS256 || key.empty()) {
    return false;
  }
  const std::string expected = hmac_sha256(key, jws.signing_input);
  return constant_time_equal(expected, jws.signature);
}

bool public_key_signature_valid(const CompactJws& jws, const VerificationKey& key) {
  if (jws.algorithm != key.algorithm) {
    return false;
  }
  try {
    if (key.algorithm == Poco::JWT::Signer::ALGO_RS256 && key.rsa) {
      Poco::JWT::Signer signer(key.rsa);
      signer.setAlgorithms({key.algorithm});
      Poco::JWT::Token token;
      return signer.tryVerify(jws.text, token);
    }
    // Poco splits an ECDSA signature in halves without checking its length: P-256 is 2 x 32.
    if (key.algorithm == Poco::JWT::Signer::ALGO_ES256 && key.ec && jws.signature.size() == 64) {
      Poco::JWT::Signer signer(key.ec);
      signer.setAlgorithms({key.algorithm});
      Poco::JWT::Token token;
      return signer.tryVerify(jws.text, token);
    }
  } catch (const Poco::Exception&) {
  }
  return false;
}

}  // namespace sccache::auth_jwt
