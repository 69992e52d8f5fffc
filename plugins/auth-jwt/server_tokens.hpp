// Build server credentials as HS256 JWTs, compatible with upstream sccache-dist:
//   scheduler [server_auth] type = "jwt_hs256", secret_key = base64url of >= 32 random bytes
//   server [scheduler_auth] type = "jwt_token", token = a JWT {"server_id": "<public_addr>"}
// The scheduler accepts a token only from the server it names; a server refuses to start with a
// token that names another server. "exp" is optional (upstream's tokens carry exp 0: no expiry).
#pragma once

#include <memory>
#include <span>

#include "sccache/auth.hpp"
#include "sccache/config_keys.hpp"

namespace sccache::auth_jwt {

// The claim that names the server.
inline constexpr const char* k_server_id_claim = "server_id";

std::unique_ptr<CredentialVerifier> make_hs256_server_verifier(const ConfigSection& config,
                                                               HostContext& host);
std::unique_ptr<CredentialProvider> make_server_token_provider(const ConfigSection& config,
                                                               HostContext& host);

// The keys of a jwt_hs256 table and of a jwt_token one.
std::span<const ConfigKey> hs256_config_keys();
std::span<const ConfigKey> server_token_config_keys();

}  // namespace sccache::auth_jwt
