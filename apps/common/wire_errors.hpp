// The error codes of the wire protocol (docs/wire-protocol.md, "Errors"): every error reply is
// {"error": {"code": ..., "message": ..., "retryable": ...}} (sccache/transport.hpp ErrorReply),
// and receivers act on the code, never on the words of the message.
//
// Threads: pure functions. Failure: none (an unknown or missing code reads as one derived from
// the HTTP status, so an older peer or a proxy's error page still gets handled).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sccache/transport.hpp"

namespace sccache::wire {

enum class ErrorCode {
  bad_request,          // 400: a malformed message or request
  protocol_version,     // 400: the peer speaks a protocol version outside our range
  unauthorized,         // 401: a credential or job token was refused
  not_found,            // 404: no such route, job or toolchain
  method_not_allowed,   // 405
  toolchain_missing,    // 409: the build server lacks the toolchain: upload it, then run again
  body_too_large,       // 413: past the receiver's request limit
  toolchain_too_large,  // 413: past this build server's toolchain_cache_size
  toolchain_corrupt,    // 400: the upload's SHA-256 is not its id
  inputs_invalid,       // 400: the job's inputs could not be unpacked
  sandbox_failure,      // 500: the sandbox could not run the job
  toolchain_failed,     // 500: the compiler could not run from its toolchain (a packaging problem)
  no_capacity,          // 503: no build server has a free slot now
  no_space,             // 507: the build server's disk is full (another server may have room)
  internal,             // 500: anything else on the server's side
};

std::string_view to_string(ErrorCode code) noexcept;
// The code named `text`; nullopt for a code this version does not know.
std::optional<ErrorCode> error_code_from(std::string_view text) noexcept;
int http_status(ErrorCode code) noexcept;
// Whether the same request may succeed on another server or later, unless the sender says else.
bool retryable_by_default(ErrorCode code) noexcept;

struct ErrorInfo {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  bool retryable = false;
};

// The body of an error reply.
std::string error_json(ErrorCode code, std::string_view message);
std::string error_json(ErrorCode code, std::string_view message, bool retryable);
// The error a response carries: its typed body, or — an older peer, a proxy, a body that is no
// error reply — the code that `status` implies, with the body (truncated) as the message.
ErrorInfo error_of(int status, std::string_view body);
// Only the message, for logs.
std::string error_from_body(std::string_view body);

}  // namespace sccache::wire
