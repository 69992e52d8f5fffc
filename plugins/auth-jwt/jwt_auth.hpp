// auth-jwt: JSON Web Token authentication on Poco::JWT.
//   jwt_hs256     scheduler [server_auth]      checks build servers' HS256 tokens
//   jwt_token     build server [scheduler_auth] presents such a token
//   jwt_validate  scheduler [client_auth]      checks clients' RS256/ES256 identity-provider tokens
// See README.md in this directory.
#pragma once

#include "sccache/plugin_abi.h"

namespace sccache::auth_jwt {

const sccache_plugin_descriptor* descriptor() noexcept;

}  // namespace sccache::auth_jwt
