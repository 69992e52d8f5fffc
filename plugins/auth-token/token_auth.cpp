#include "auth-token/token_auth.hpp"

#include <spdlog/spdlog.h>

#include "sccache/plugin.hpp"

namespace sccache::auth_token {
namespace {

constexpr std::string_view k_token_type = "token";
constexpr std::string_view k_insecure_type = "DANGEROUSLY_INSECURE";

constexpr ConfigKey k_token_keys[] = {
    {"type", ConfigValueType::string, "required", "`\"token\"`"},
    {"token", ConfigValueType::string, "required",
     "the shared bearer token, the same on both sides (make one with `sccache-dist auth "
     "generate-shared-token`)",
     ConfigSecrecy::secret},
};

constexpr ConfigKey k_insecure_keys[] = {
    {"type", ConfigValueType::string, "required",
     "`\"DANGEROUSLY_INSECURE\"`: fixed public tokens, for trusted test networks only"},
};

bool is_client_role(AuthRole role) {
  return role == AuthRole::client_credential || role == AuthRole::client_verifier;
}

// Reads and checks the table for `type`, returning the token to present or expect.
std::string configured_token(std::string_view type, AuthRole role, const ConfigSection& config,
                             HostContext& host) {
  if (type == k_insecure_type) {
    config.reject_unknown_keys(k_insecure_keys);
    host.logger("auth-token")
        ->warn(
            "[{}] type = \"DANGEROUSLY_INSECURE\": anyone who can reach this port is trusted; "
            "use it only on a private test network",
            config.key_path());
    return is_client_role(role) ? k_insecure_client_token : k_insecure_server_token;
  }
  config.reject_unknown_keys(k_token_keys);
  std::string token = config.require_string("token");
  if (token.empty()) {
    config.fail("token", "the token cannot be empty");
  }
  warn_if_secret_readable(config, "token", host);
  return token;
}

class BearerProvider final : public CredentialProvider {
 public:
  explicit BearerProvider(std::string token) : m_header("Bearer " + std::move(token)) {}
  std::string authorization() override { return m_header; }

 private:
  std::string m_header;
};

class TokenVerifier final : public CredentialVerifier {
 public:
  TokenVerifier(std::string expected, AuthRole role)
      : m_expected(std::move(expected)), m_role(role) {}

  AuthDecision verify(const AuthRequest& request) const override {
    if (request.authorization.empty()) {
      return AuthDecision::refuse("no bearer token in the Authorization header");
    }
    std::string_view token = bearer_token(request.authorization);
    if (token.empty()) {
      return AuthDecision::refuse("the Authorization header is not a bearer token");
    }
    if (!constant_time_equal(token, m_expected)) {
      return AuthDecision::refuse("invalid bearer token");
    }
    if (m_role == AuthRole::server_verifier) {
      if (request.claimed_id.empty()) {
        return AuthDecision::refuse("the server did not say which server it is");
      }
      return AuthDecision::accept(std::string(request.claimed_id));
    }
    return AuthDecision::accept("token client");
  }

 private:
  std::string m_expected;
  AuthRole m_role;
};

class TokenAuthFactory final : public AuthFactory {
 public:
  std::unique_ptr<CredentialProvider> create_provider(std::string_view type, AuthRole role,
                                                      const ConfigSection& config,
                                                      HostContext& host) const override {
    if (is_verifier_role(role)) {
      config.fail("type", "internal error: a verifier table asked for a credential provider");
    }
    return std::make_unique<BearerProvider>(configured_token(type, role, config, host));
  }

  std::unique_ptr<CredentialVerifier> create_verifier(std::string_view type, AuthRole role,
                                                      const ConfigSection& config,
                                                      HostContext& host) const override {
    if (!is_verifier_role(role)) {
      config.fail("type", "internal error: a credential table asked for a verifier");
    }
    return std::make_unique<TokenVerifier>(configured_token(type, role, config, host), role);
  }
};

const TokenAuthFactory g_factory;

}  // namespace

std::span<const ConfigKey> token_config_keys() {
  return k_token_keys;
}

std::span<const ConfigKey> insecure_config_keys() {
  return k_insecure_keys;
}

SCCACHE_DEFINE_PLUGIN(descriptor, SCCACHE_PLUGIN_KIND_AUTH, AuthFactory, g_factory, "1.0.0",
                      "shared bearer tokens (token, DANGEROUSLY_INSECURE)", "token",
                      "DANGEROUSLY_INSECURE")

}  // namespace sccache::auth_token
