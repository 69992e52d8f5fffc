#include "auth-jwt/server_tokens.hpp"

#include <Poco/JWT/Signer.h>

#include "sccache/token_crypto.hpp"

#include "auth-jwt/claim_checks.hpp"
#include "auth-jwt/compact_jws.hpp"

namespace sccache::auth_jwt {

namespace {

constexpr size_t k_min_secret_bytes = 32;
const std::set<std::string> k_hs256_only = {Poco::JWT::Signer::ALGO_HS256};

constexpr ConfigKey k_hs256_keys[] = {
    {"type", ConfigValueType::string, "required", "`\"jwt_hs256\"`"},
    {"secret_key", ConfigValueType::string, "required",
     "base64url of at least 32 random bytes (make one with `sccache-dist auth "
     "generate-jwt-hs256-key`)",
     ConfigSecrecy::secret},
};

constexpr ConfigKey k_server_token_keys[] = {
    {"type", ConfigValueType::string, "required", "`\"jwt_token\"`"},
    {"token", ConfigValueType::string, "required",
     "a JWT naming this server's `public_addr` (make one with `sccache-dist auth "
     "generate-jwt-hs256-server-token`)",
     ConfigSecrecy::secret},
};

std::string read_secret_key(const ConfigSection& config, HostContext& host) {
  warn_if_secret_readable(config, "secret_key", host);
  auto key = base64url_decode(config.require_string("secret_key"), Base64Padding::allowed);
  if (!key) {
    config.fail("secret_key",
                "not base64url; make one with: sccache-dist auth generate-jwt-hs256-key");
  }
  if (key->size() < k_min_secret_bytes) {
    config.fail("secret_key",
                "too short: it must decode to at least 32 bytes; make one with: "
                "sccache-dist auth generate-jwt-hs256-key");
  }
  return *key;
}

class Hs256ServerVerifier final : public CredentialVerifier {
 public:
  explicit Hs256ServerVerifier(std::string key) : m_key(std::move(key)) {}

  AuthDecision verify(const AuthRequest& request) const override {
    std::string reason;
    auto jws = parse_bearer_jws(request.authorization, k_hs256_only, &reason);
    if (!jws) {
      return AuthDecision::refuse(reason);
    }
    if (!hs256_signature_valid(*jws, m_key)) {
      return AuthDecision::refuse("invalid token signature");
    }
    // Only a correctly signed token's claims are looked at, and may be quoted.
    if (auto why = check_time_claims(*jws->claims, std::chrono::system_clock::now(),
                                     {std::chrono::seconds(60), Expiry::if_present})) {
      return AuthDecision::refuse(*why);
    }
    auto server_id = string_claim(*jws->claims, k_server_id_claim);
    if (!server_id || server_id->empty()) {
      return AuthDecision::refuse("the token names no server (no \"server_id\" claim)");
    }
    if (request.claimed_id.empty()) {
      return AuthDecision::refuse("the server did not say which server it is");
    }
    if (*server_id != request.claimed_id) {
      return AuthDecision::refuse("this token is for server " + *server_id + ", not " +
                                  std::string(request.claimed_id));
    }
    return AuthDecision::accept(*server_id);
  }

 private:
  std::string m_key;
};

class BearerProvider final : public CredentialProvider {
 public:
  explicit BearerProvider(const std::string& token) : m_header("Bearer " + token) {}
  std::string authorization() override { return m_header; }

 private:
  std::string m_header;
};

}  // namespace

std::span<const ConfigKey> hs256_config_keys() {
  return k_hs256_keys;
}

std::span<const ConfigKey> server_token_config_keys() {
  return k_server_token_keys;
}

std::unique_ptr<CredentialVerifier> make_hs256_server_verifier(const ConfigSection& config,
                                                               HostContext& host) {
  config.reject_unknown_keys(k_hs256_keys);
  return std::make_unique<Hs256ServerVerifier>(read_secret_key(config, host));
}

std::unique_ptr<CredentialProvider> make_server_token_provider(const ConfigSection& config,
                                                               HostContext& host) {
  config.reject_unknown_keys(k_server_token_keys);
  const std::string token = config.require_string("token");
  warn_if_secret_readable(config, "token", host);
  // The server cannot check the signature (it has no key), but it can catch a token made for
  // another server, or expired, before the scheduler refuses every heartbeat.
  std::string reason;
  auto jws = parse_compact_jws(token, k_hs256_only, &reason);
  if (!jws) {
    config.fail("token", "not a jwt_token for this scheduler: " + reason);
  }
  if (auto why = check_time_claims(*jws->claims, std::chrono::system_clock::now(),
                                   {std::chrono::seconds(0), Expiry::if_present})) {
    config.fail("token", *why);
  }
  auto server_id = string_claim(*jws->claims, k_server_id_claim);
  if (!server_id || server_id->empty()) {
    config.fail("token", "the token names no server (no \"server_id\" claim)");
  }
  const std::string me = host.identity();
  if (!me.empty() && *server_id != me) {
    config.fail("token", "this token is for server " + *server_id + ", but public_addr is " + me +
                             "; make one with: sccache-dist auth "
                             "generate-jwt-hs256-server-token --server " +
                             me + " --config scheduler.conf");
  }
  return std::make_unique<BearerProvider>(token);
}

}  // namespace sccache::auth_jwt
