#include "auth-jwt/client_tokens.hpp"

#include <Poco/Exception.h>
#include <Poco/JWT/Signer.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/URI.h>

#include "auth-jwt/claim_checks.hpp"
#include "auth-jwt/compact_jws.hpp"
#include "auth-jwt/key_source.hpp"

namespace sccache::auth_jwt {

namespace {

constexpr ConfigKey k_validate_keys[] = {
    {"type", ConfigValueType::string, "required", "`\"jwt_validate\"`"},
    {"audience", ConfigValueType::string, "required", "the `aud` the tokens must carry"},
    {"issuer", ConfigValueType::string, "required", "the `iss` the tokens must carry"},
    {"jwks_url", ConfigValueType::string, "",
     "the identity provider's public keys (JWKS): https, `file://`, or http to loopback; this "
     "or `jwks_file` is required"},
    {"jwks_file", ConfigValueType::path, "",
     "the public keys (JWKS) in a file, re-read when it changes; instead of `jwks_url`"},
    {"algorithms", ConfigValueType::string_array, "`[\"RS256\", \"ES256\"]`",
     "the signature algorithms accepted: RS256 and ES256 only"},
    {"leeway_secs", ConfigValueType::integer, "`60`",
     "clock skew allowed for `exp`, `nbf` and `iat` (0 to 600)"},
    {"jwks_refresh_secs", ConfigValueType::integer, "`3600`",
     "how often `jwks_url` is fetched again (60 to 86400)"},
};

struct ValidateSettings {
  std::string audience;
  std::string issuer;
  std::set<std::string> algorithms{Poco::JWT::Signer::ALGO_RS256, Poco::JWT::Signer::ALGO_ES256};
  std::chrono::seconds leeway{60};
};

class ClientTokenVerifier final : public CredentialVerifier {
 public:
  ClientTokenVerifier(ValidateSettings settings, std::unique_ptr<KeySource> keys)
      : m_settings(std::move(settings)), m_keys(std::move(keys)) {}

  AuthDecision verify(const AuthRequest& request) const override {
    std::string reason;
    auto jws = parse_bearer_jws(request.authorization, m_settings.algorithms, &reason);
    if (!jws) {
      return AuthDecision::refuse(reason);
    }
    KeyList keys = m_keys->keys(jws->key_id);
    if (!keys || keys->empty()) {
      return AuthDecision::refuse(
          "no identity-provider keys are available (see the scheduler log)");
    }
    bool key_found = false;
    bool signature_ok = false;
    for (const auto& key : *keys) {
      if (!jws->key_id.empty() && key.key_id != jws->key_id) {
        continue;
      }
      key_found = key_found || key.algorithm == jws->algorithm;
      if (public_key_signature_valid(*jws, key)) {
        signature_ok = true;
        break;
      }
    }
    if (!signature_ok) {
      return AuthDecision::refuse(key_found ? "invalid token signature"
                                            : "the token's signing key is not in the JWKS");
    }
    if (auto why = check_time_claims(*jws->claims, std::chrono::system_clock::now(),
                                     {m_settings.leeway, Expiry::required})) {
      return AuthDecision::refuse(*why);
    }
    if (string_claim(*jws->claims, "iss") != m_settings.issuer) {
      return AuthDecision::refuse("wrong token issuer");
    }
    if (!has_audience(*jws->claims, m_settings.audience)) {
      return AuthDecision::refuse("wrong token audience");
    }
    auto subject = string_claim(*jws->claims, "sub");
    return AuthDecision::accept(subject && !subject->empty() ? *subject : "jwt client");
  }

 private:
  ValidateSettings m_settings;
  std::unique_ptr<KeySource> m_keys;
};

// "localhost" or a literal loopback address; never a DNS name that merely starts with "127.".
bool is_loopback_host(const std::string& host) {
  Poco::Net::IPAddress address;
  return host == "localhost" ||
         (Poco::Net::IPAddress::tryParse(host, address) && address.isLoopback());
}

std::unique_ptr<KeySource> make_key_source(const ConfigSection& config, HostContext& host) {
  auto log = host.logger("auth-jwt");
  const bool has_url = config.contains("jwks_url");
  if (has_url == config.contains("jwks_file")) {
    config.fail(has_url ? "jwks_file" : "jwks_url",
                "set exactly one of jwks_url and jwks_file (the identity provider's public keys)");
  }
  try {
    if (!has_url) {
      return make_file_key_source(*config.get_path("jwks_file"), log);
    }
    const std::string url = config.require_string("jwks_url");
    Poco::URI uri;
    try {
      uri = Poco::URI(url);
    } catch (const Poco::Exception&) {
      config.fail("jwks_url", "not a URL");
    }
    if (uri.getScheme() == "file") {
      return make_file_key_source(uri.getPath(), log);
    }
    if (uri.getScheme() == "http" && !is_loopback_host(uri.getHost())) {
      config.fail("jwks_url",
                  "plain http is accepted only from a loopback host; use https (or a file)");
    }
    if (uri.getScheme() != "http" && uri.getScheme() != "https") {
      config.fail("jwks_url", "expected an https://, http://127.0.0.1 or file:// URL");
    }
    const auto refresh = config.get_integer("jwks_refresh_secs").value_or(3600);
    if (refresh < 60 || refresh > 86400) {
      config.fail("jwks_refresh_secs", "expected a number of seconds from 60 to 86400");
    }
    return make_url_key_source(url, std::chrono::seconds(refresh), std::chrono::seconds(30), log);
  } catch (const JwksError& e) {
    config.fail(has_url ? "jwks_url" : "jwks_file", e.what());
  }
}

}  // namespace

std::span<const ConfigKey> validate_config_keys() {
  return k_validate_keys;
}

std::unique_ptr<CredentialVerifier> make_client_token_verifier(const ConfigSection& config,
                                                               HostContext& host) {
  config.reject_unknown_keys(k_validate_keys);
  ValidateSettings settings;
  settings.audience = config.require_string("audience");
  settings.issuer = config.require_string("issuer");
  if (settings.audience.empty()) {
    config.fail("audience", "cannot be empty");
  }
  if (settings.issuer.empty()) {
    config.fail("issuer", "cannot be empty");
  }
  if (auto algorithms = config.get_string_array("algorithms")) {
    settings.algorithms.clear();
    for (const auto& a : *algorithms) {
      if (a != Poco::JWT::Signer::ALGO_RS256 && a != Poco::JWT::Signer::ALGO_ES256) {
        config.fail("algorithms", "accepted algorithms are RS256 and ES256 (never none or HS*)");
      }
      settings.algorithms.insert(a);
    }
    if (settings.algorithms.empty()) {
      config.fail("algorithms", "name at least one of RS256 and ES256");
    }
  }
  if (auto leeway = config.get_integer("leeway_secs")) {
    if (*leeway < 0 || *leeway > 600) {
      config.fail("leeway_secs", "expected a number of seconds from 0 to 600");
    }
    settings.leeway = std::chrono::seconds(*leeway);
  }
  if (config.contains("jwks_refresh_secs") && config.contains("jwks_file")) {
    config.fail("jwks_refresh_secs",
                "applies to jwks_url only (a file is re-read when it changes)");
  }
  return std::make_unique<ClientTokenVerifier>(std::move(settings), make_key_source(config, host));
}

}  // namespace sccache::auth_jwt
