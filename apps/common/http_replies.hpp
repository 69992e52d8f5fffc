// Small helpers for the apps' route handlers: JSON replies and the 401 convention.
#pragma once

#include <string_view>

#include "sccache/transport.hpp"

#include "common/wire.hpp"

namespace sccache {

inline constexpr std::string_view k_json = "application/json";

void reply_json(ServerResponse& response, int status, std::string_view json);
// A typed error reply (common/wire_errors.hpp) with the code's HTTP status.
void reply_error(ServerResponse& response, wire::ErrorCode code, std::string_view message);
// A malformed message: its code (bad_request or protocol_version) and what was wrong.
void reply_error(ServerResponse& response, const wire::WireError& error);
// 401 `unauthorized` with WWW-Authenticate: Bearer error="invalid_token" and the reason (never a
// credential).
void reply_unauthorized(ServerResponse& response, std::string_view reason);

// GET /api/v2/health: {"ok": true, "version": ...}, for probes and load balancers.
void add_health_route(TransportServer& server);

// The software version reported by --version, heartbeats and status.
std::string_view software_version() noexcept;

}  // namespace sccache
