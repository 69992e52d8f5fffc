#include "config_docs/config_tables.hpp"

#include "auth-jwt/client_tokens.hpp"
#include "auth-jwt/server_tokens.hpp"
#include "auth-token/token_auth.hpp"
#include "buildserver/server_config.hpp"
#include "client/cache/cache_config.hpp"
#include "client/client_config.hpp"
#include "sandbox-bwrap/overlay_config.hpp"
#include "sandbox-docker/docker_config.hpp"
#include "scheduler/scheduler_config.hpp"

namespace sccache::config_docs {

const std::vector<DocumentedTable>& documented_tables() {
  static const std::vector<DocumentedTable> tables = {
      {"scheduler.conf", "", scheduler_config_keys()},
      {"scheduler.conf/tls", "tls", scheduler_tls_keys()},
      {"server.conf", "", server_config_keys()},
      {"server.conf/builder.overlay", "builder", sandbox_bwrap::config_keys()},
      {"server.conf/builder.docker", "builder", sandbox_docker::config_keys()},
      {"client", "", client_config_keys()},
      {"client/dist", "dist", client_dist_keys()},
      {"client/dist.toolchains.path_override", "dist.toolchains", client_path_override_keys()},
      {"client/dist.toolchains.no_dist", "dist.toolchains", client_no_dist_keys()},
      {"client/cache", "cache", cache::cache_keys()},
      {"client/cache.disk", "cache.disk", cache::cache_disk_keys()},
      {"client/cache.redis", "cache.redis", cache::cache_redis_keys()},
      {"auth/token", "", auth_token::token_config_keys()},
      {"auth/DANGEROUSLY_INSECURE", "", auth_token::insecure_config_keys()},
      {"auth/jwt_hs256", "server_auth", auth_jwt::hs256_config_keys()},
      {"auth/jwt_token", "scheduler_auth", auth_jwt::server_token_config_keys()},
      {"auth/jwt_validate", "client_auth", auth_jwt::validate_config_keys()},
  };
  return tables;
}

}  // namespace sccache::config_docs
