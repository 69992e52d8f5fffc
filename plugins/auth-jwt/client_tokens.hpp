// jwt_validate ([client_auth]): clients present a JWT from an identity provider, checked against
// the provider's public keys (JWKS) with pinned algorithms (RS256, ES256), "exp" (required),
// "nbf", "iat", "aud" and "iss", allowing a small clock skew.
//
//   [client_auth]
//   type = "jwt_validate"
//   audience = "sccache-dist"
//   issuer = "https://idp.example.com"
//   jwks_url = "https://idp.example.com/.well-known/jwks.json"   # or file:///path
//   # jwks_file = "/etc/sccache/jwks.json"                        # instead of jwks_url
//   # algorithms = ["RS256", "ES256"]   leeway_secs = 60   jwks_refresh_secs = 3600
#pragma once

#include <memory>
#include <span>

#include "sccache/auth.hpp"
#include "sccache/config_keys.hpp"

namespace sccache::auth_jwt {

std::unique_ptr<CredentialVerifier> make_client_token_verifier(const ConfigSection& config,
                                                               HostContext& host);

// The keys of a jwt_validate table.
std::span<const ConfigKey> validate_config_keys();

}  // namespace sccache::auth_jwt
