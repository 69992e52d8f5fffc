#include "support/jwt_mint.hpp"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

namespace sccache::test {

std::string b64url(std::string_view bytes) {
  // OpenSSL's base64, then the URL-safe alphabet without padding (RFC 4648 §5).
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(length));
  while (!out.empty() && out.back() == '=') {
    out.pop_back();
  }
  for (char& c : out) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return out;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct SigningKey::Impl {
  EVP_PKEY* key = nullptr;
  ~Impl() { EVP_PKEY_free(key); }
};

SigningKey::SigningKey(Kind kind, std::string key_id)
    : m_impl(std::make_unique<Impl>()), m_kind(kind), m_key_id(std::move(key_id)) {
  m_impl->key = kind == Kind::rsa2048 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (m_impl->key == nullptr) {
    throw std::runtime_error("key generation failed");
  }
}

SigningKey::~SigningKey() = default;

std::string SigningKey::algorithm() const {
  return m_kind == Kind::rsa2048 ? "RS256" : "ES256";
}

namespace {

std::string bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, name, &bn);
  std::string bytes(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return bytes;
}

}  // namespace

std::string SigningKey::public_jwk() const {
  if (m_kind == Kind::rsa2048) {
    return fmt::format(R"({{"kty":"RSA","use":"sig","alg":"RS256","kid":"{}","n":"{}","e":"{}"}})",
                       m_key_id, b64url(bn_param(m_impl->key, OSSL_PKEY_PARAM_RSA_N)),
                       b64url(bn_param(m_impl->key, OSSL_PKEY_PARAM_RSA_E)));
  }
  unsigned char point[65];
  size_t length = 0;
  EVP_PKEY_get_octet_string_param(m_impl->key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                  &length);
  const std::string raw(reinterpret_cast<char*>(point), length);  // 0x04 || x || y
  return fmt::format(
      R"({{"kty":"EC","use":"sig","alg":"ES256","crv":"P-256","kid":"{}","x":"{}","y":"{}"}})",
      m_key_id, b64url(raw.substr(1, 32)), b64url(raw.substr(33, 32)));
}

std::string SigningKey::public_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, m_impl->key);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(length));
  BIO_free(bio);
  return pem;
}

std::string SigningKey::sign(std::string_view input) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t length = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, m_impl->key);
  EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  std::string signature(length, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  signature.resize(length);
  if (m_kind == Kind::rsa2048) {
    return signature;
  }
  // DER ECDSA-Sig-Value -> the fixed-width r || s that JWS uses.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size()));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

std::string SigningKey::mint(const std::string& claims, const std::string& header) const {
  const std::string h = header.empty() ? fmt::format(R"({{"alg":"{}","typ":"JWT","kid":"{}"}})",
                                                     algorithm(), m_key_id)
                                       : header;
  const std::string input = b64url(h) + "." + b64url(claims);
  return input + "." + b64url(sign(input));
}

std::string jwks(const std::vector<const SigningKey*>& keys) {
  std::string out = R"({"keys":[)";
  for (size_t i = 0; i < keys.size(); ++i) {
    out += (i == 0 ? "" : ",") + keys[i]->public_jwk();
  }
  return out + "]}";
}

std::string mint_hs256(std::string_view secret, const std::string& claims,
                       const std::string& header) {
  const std::string input = b64url(header) + "." + b64url(claims);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest, &length);
  return input + "." + b64url(std::string_view(reinterpret_cast<char*>(digest), length));
}

std::string mint_unsigned(const std::string& claims) {
  return b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(claims) + ".";
}

}  // namespace sccache::test
