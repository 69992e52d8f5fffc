// Small helpers for the apps' route handlers: JSON replies and the 401 convention.
#pragma once

#include <string_view>

#include "sccache/transport.hpp"

namespace sccache {

inline constexpr std::string_view k_json = "application/json";

void reply_json(ServerResponse& response, int status, std::string_view json);
// {"error": message} with `status`.
void reply_error(ServerResponse& response, int status, std::string_view message);
// 401 with WWW-Authenticate: Bearer error="invalid_token" and the reason (never a credential).
void reply_unauthorized(ServerResponse& response, std::string_view reason);

// GET /api/v2/health: {"ok": true, "version": ...}, for probes and load balancers.
void add_health_route(TransportServer& server);

// The software version reported by --version, heartbeats and status.
std::string_view software_version() noexcept;

}  // namespace sccache
