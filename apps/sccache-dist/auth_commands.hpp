// `sccache-dist auth ...`: makes the secrets and tokens the auth configs need, printing each on
// stdout (and nothing else there), so it can be captured: key=$(sccache-dist auth ...).
//
//   generate-jwt-hs256-key              32 random bytes, base64url: [server_auth] secret_key
//   generate-jwt-hs256-server-token --server <ip:port> (--secret-key <key> | --config
//   <scheduler.conf>)
//                                       a build server's [scheduler_auth] jwt_token
//   generate-shared-token [--bits N]    N random bits (default 256), base64url: a `token`
//
// Randomness comes from OpenSSL's CSPRNG. Returns the exit code (2 for usage errors).
#pragma once

#include <string>
#include <vector>

namespace sccache {

int auth_command(const std::vector<std::string>& args);

}  // namespace sccache
