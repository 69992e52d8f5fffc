#include "sccache/plugin.hpp"

#include "auth-token/token_auth.hpp"

SCCACHE_EXPORT_PLUGIN(sccache::auth_token::descriptor)
