#include "auth-jwt/jwt_auth.hpp"

#include "sccache/plugin.hpp"

#include "auth-jwt/client_tokens.hpp"
#include "auth-jwt/server_tokens.hpp"

namespace sccache::auth_jwt {
namespace {

constexpr std::string_view k_hs256 = "jwt_hs256";
constexpr std::string_view k_token = "jwt_token";
constexpr std::string_view k_validate = "jwt_validate";

// The one role each type serves, and what to use in the others.
AuthRole role_of(std::string_view type) {
  if (type == k_hs256) {
    return AuthRole::server_verifier;
  }
  if (type == k_token) {
    return AuthRole::server_credential;
  }
  return AuthRole::client_verifier;
}

void require_role(std::string_view type, AuthRole role, const ConfigSection& config) {
  if (role == role_of(type)) {
    return;
  }
  std::string advice;
  if (role == AuthRole::client_credential) {
    advice =
        "a client presents an identity-provider JWT with type = \"token\" and token = \"<the "
        "JWT>\"";
  } else if (role == AuthRole::client_verifier) {
    advice = "clients are checked with type = \"jwt_validate\" (or \"token\")";
  } else if (role == AuthRole::server_verifier) {
    advice = "build servers are checked with type = \"jwt_hs256\" (or \"token\")";
  } else {
    advice = "a build server presents type = \"jwt_token\" (or \"token\")";
  }
  config.fail("type", "type = \"" + std::string(type) + "\" belongs in [" +
                          std::string(auth_role_table(role_of(type))) + "], not [" +
                          std::string(auth_role_table(role)) + "]; " + advice);
}

class JwtAuthFactory final : public AuthFactory {
 public:
  std::unique_ptr<CredentialProvider> create_provider(std::string_view type, AuthRole role,
                                                      const ConfigSection& config,
                                                      HostContext& host) const override {
    require_role(type, role, config);
    return make_server_token_provider(config, host);
  }

  std::unique_ptr<CredentialVerifier> create_verifier(std::string_view type, AuthRole role,
                                                      const ConfigSection& config,
                                                      HostContext& host) const override {
    require_role(type, role, config);
    if (type == k_hs256) {
      return make_hs256_server_verifier(config, host);
    }
    return make_client_token_verifier(config, host);
  }
};

const JwtAuthFactory g_factory;

}  // namespace

SCCACHE_DEFINE_PLUGIN(descriptor, SCCACHE_PLUGIN_KIND_AUTH, AuthFactory, g_factory, "1.0.0",
                      "JSON Web Tokens (jwt_hs256, jwt_token, jwt_validate)", "jwt_hs256",
                      "jwt_token", "jwt_validate")

}  // namespace sccache::auth_jwt
