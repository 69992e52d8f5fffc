// Shared-secret bearer tokens: `type = "token"` with a `token` key, and `type =
// "DANGEROUSLY_INSECURE"`, which uses fixed, public tokens (for trusted test networks only).
// Valid in every auth table: [client_auth], [server_auth], [scheduler_auth] and [dist.auth].
#pragma once

#include <span>

#include "sccache/config_keys.hpp"
#include "sccache/plugin_abi.h"

namespace sccache::auth_token {

// The fixed credentials DANGEROUSLY_INSECURE presents and expects, as upstream sccache-dist uses.
inline constexpr const char* k_insecure_client_token = "dangerously_insecure_client";
inline constexpr const char* k_insecure_server_token = "dangerously_insecure_server";

const sccache_plugin_descriptor* descriptor() noexcept;

// The keys of a `type = "token"` table and of a `type = "DANGEROUSLY_INSECURE"` one.
std::span<const ConfigKey> token_config_keys();
std::span<const ConfigKey> insecure_config_keys();

}  // namespace sccache::auth_token
