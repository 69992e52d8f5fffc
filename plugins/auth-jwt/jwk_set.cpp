#include "auth-jwt/jwk_set.hpp"

#include <memory>

#include <Poco/Crypto/EVPPKey.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JWT/Signer.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "sccache/token_crypto.hpp"

namespace sccache::auth_jwt {

namespace {

constexpr size_t k_min_rsa_bits = 2048;
constexpr size_t k_max_rsa_bits = 16384;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

// A public EVP_PKEY of `type` ("RSA" or "EC") from OpenSSL parameters built by `push`.
template <typename Push>
Pkey public_key_from_params(const char* type, Push&& push) {
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> builder(OSSL_PARAM_BLD_new());
  if (!builder || !push(builder.get())) {
    return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(builder.get()));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return nullptr;
  }
  return Pkey(key);
}

std::string member(const Poco::JSON::Object& jwk, const std::string& name) {
  if (!jwk.has(name) || !jwk.get(name).isString()) {
    return {};
  }
  return jwk.getValue<std::string>(name);
}

std::string required_bytes(const Poco::JSON::Object& jwk, const std::string& name) {
  auto bytes = base64url_decode(member(jwk, name));
  if (!bytes || bytes->empty()) {
    throw JwksError("member \"" + name + "\" is missing or not base64url");
  }
  return *bytes;
}

Bn big_number(const std::string& bytes) {
  return Bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                      static_cast<int>(bytes.size()), nullptr));
}

VerificationKey rsa_key(const Poco::JSON::Object& jwk) {
  Bn n = big_number(required_bytes(jwk, "n"));
  Bn e = big_number(required_bytes(jwk, "e"));
  const size_t bits = static_cast<size_t>(BN_num_bits(n.get()));
  if (bits < k_min_rsa_bits || bits > k_max_rsa_bits) {
    throw JwksError("RSA modulus of " + std::to_string(bits) + " bits (accepted: " +
                    std::to_string(k_min_rsa_bits) + " to " + std::to_string(k_max_rsa_bits) + ")");
  }
  Pkey key = public_key_from_params("RSA", [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n.get()) == 1 &&
           OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e.get()) == 1;
  });
  if (!key) {
    throw JwksError("OpenSSL rejected the RSA key");
  }
  VerificationKey result;
  result.algorithm = Poco::JWT::Signer::ALGO_RS256;
  result.rsa = new Poco::Crypto::RSAKey(Poco::Crypto::EVPPKey(key.get()));
  return result;
}

VerificationKey ec_key(const Poco::JSON::Object& jwk) {
  if (member(jwk, "crv") != "P-256") {
    throw JwksError("EC curve other than P-256");
  }
  const std::string x = required_bytes(jwk, "x");
  const std::string y = required_bytes(jwk, "y");
  if (x.size() != 32 || y.size() != 32) {
    throw JwksError("P-256 coordinates must be 32 bytes each");
  }
  std::string point = "\x04" + x + y;  // uncompressed SEC1 point
  Pkey key = public_key_from_params("EC", [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
           OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                            point.size()) == 1;
  });
  if (!key) {
    throw JwksError("OpenSSL rejected the EC point (not on the P-256 curve?)");
  }
  VerificationKey result;
  result.algorithm = Poco::JWT::Signer::ALGO_ES256;
  result.ec = new Poco::Crypto::ECKey(Poco::Crypto::EVPPKey(key.get()));
  return result;
}

VerificationKey parse_key(const Poco::JSON::Object& jwk) {
  const std::string kty = member(jwk, "kty");
  const std::string use = member(jwk, "use");
  const std::string alg = member(jwk, "alg");
  if (!use.empty() && use != "sig") {
    throw JwksError("\"use\" is \"" + use + "\", not \"sig\"");
  }
  if (jwk.has("d")) {
    throw JwksError("it holds a private key; publish only public keys");
  }
  VerificationKey key;
  if (kty == "RSA") {
    key = rsa_key(jwk);
  } else if (kty == "EC") {
    key = ec_key(jwk);
  } else {
    throw JwksError("key type \"" + kty + "\" is not RSA or EC");
  }
  if (!alg.empty() && alg != key.algorithm) {
    throw JwksError("algorithm \"" + alg + "\" is not " + key.algorithm);
  }
  key.key_id = member(jwk, "kid");
  return key;
}

}  // namespace

std::vector<VerificationKey> parse_jwks(std::string_view json, std::vector<std::string>* skipped) {
  Poco::JSON::Array::Ptr keys;
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var root = parser.parse(std::string(json));
    if (root.type() != typeid(Poco::JSON::Object::Ptr)) {
      throw JwksError("not a JSON object");
    }
    keys = root.extract<Poco::JSON::Object::Ptr>()->getArray("keys");
  } catch (const Poco::Exception& e) {
    throw JwksError("not valid JSON: " + e.displayText());
  }
  if (!keys) {
    throw JwksError("no \"keys\" array");
  }
  std::vector<VerificationKey> result;
  for (unsigned i = 0; i < keys->size(); ++i) {
    Poco::JSON::Object::Ptr jwk = keys->getObject(i);
    const std::string label = "key " + std::to_string(i);
    if (!jwk) {
      skipped->push_back(label + ": not a JSON object");
      continue;
    }
    try {
      result.push_back(parse_key(*jwk));
    } catch (const JwksError& e) {
      skipped->push_back(label + " (kid \"" + member(*jwk, "kid") + "\"): " + e.what());
    } catch (const Poco::Exception& e) {
      skipped->push_back(label + " (kid \"" + member(*jwk, "kid") + "\"): " + e.displayText());
    }
  }
  return result;
}

}  // namespace sccache::auth_jwt
