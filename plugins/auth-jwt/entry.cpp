#include "sccache/plugin.hpp"

#include "jwt_auth.hpp"

SCCACHE_EXPORT_PLUGIN(sccache::auth_jwt::descriptor)
