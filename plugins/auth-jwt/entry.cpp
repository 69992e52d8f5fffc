#include "sccache/plugin.hpp"

#include "auth-jwt/jwt_auth.hpp"

SCCACHE_EXPORT_PLUGIN(sccache::auth_jwt::descriptor)
