#include "common/http_replies.hpp"

#include <fmt/format.h>

#include "common/wire.hpp"

#ifndef SCCACHE_VERSION
#define SCCACHE_VERSION "0.0.0-dev"
#endif

namespace sccache {

void reply_json(ServerResponse& response, int status, std::string_view json) {
  response.send(status, k_json, json);
}

void reply_error(ServerResponse& response, wire::ErrorCode code, std::string_view message) {
  response.send(wire::http_status(code), k_json, wire::error_json(code, message));
}

void reply_error(ServerResponse& response, const wire::WireError& error) {
  reply_error(response, error.code(), error.what());
}

void reply_unauthorized(ServerResponse& response, std::string_view reason) {
  response.send(401, k_json, wire::error_json(wire::ErrorCode::unauthorized, reason),
                {{"WWW-Authenticate", "Bearer error=\"invalid_token\""}});
}

void add_health_route(TransportServer& server) {
  server.add_route("GET", std::string(wire::k_health_path), [](ServerRequest&, ServerResponse& rs) {
    reply_json(rs, 200, fmt::format(R"({{"ok":true,"version":"{}"}})", software_version()));
  });
}

std::string_view software_version() noexcept {
  return SCCACHE_VERSION;
}

}  // namespace sccache
