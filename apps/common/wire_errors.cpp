#include "common/wire_errors.hpp"

#include <array>
#include <utility>

namespace sccache::wire {
namespace {

struct CodeInfo {
  ErrorCode code;
  std::string_view name;
  int status;
  bool retryable;
};

// One row per code: its name on the wire, its HTTP status, and whether trying again elsewhere
// (or later) may help.
constexpr std::array k_codes = {
    CodeInfo{ErrorCode::bad_request, "bad_request", 400, false},
    CodeInfo{ErrorCode::protocol_version, "protocol_version", 400, false},
    CodeInfo{ErrorCode::unauthorized, "unauthorized", 401, false},
    CodeInfo{ErrorCode::not_found, "not_found", 404, false},
    CodeInfo{ErrorCode::method_not_allowed, "method_not_allowed", 405, false},
    CodeInfo{ErrorCode::toolchain_missing, "toolchain_missing", 409, true},
    CodeInfo{ErrorCode::body_too_large, "body_too_large", 413, false},
    CodeInfo{ErrorCode::toolchain_too_large, "toolchain_too_large", 413, true},
    CodeInfo{ErrorCode::toolchain_corrupt, "toolchain_corrupt", 400, false},
    CodeInfo{ErrorCode::inputs_invalid, "inputs_invalid", 400, false},
    CodeInfo{ErrorCode::sandbox_failure, "sandbox_failure", 500, true},
    CodeInfo{ErrorCode::toolchain_failed, "toolchain_failed", 500, false},
    CodeInfo{ErrorCode::no_capacity, "no_capacity", 503, true},
    CodeInfo{ErrorCode::no_space, "no_space", 507, true},
    CodeInfo{ErrorCode::internal, "internal", 500, true},
};

const CodeInfo& info(ErrorCode code) noexcept {
  for (const auto& row : k_codes) {
    if (row.code == code) {
      return row;
    }
  }
  return k_codes.back();  // internal
}

ErrorCode code_of_status(int status) noexcept {
  switch (status) {
    case 400:
      return ErrorCode::bad_request;
    case 401:
    case 403:
      return ErrorCode::unauthorized;
    case 404:
      return ErrorCode::not_found;
    case 405:
      return ErrorCode::method_not_allowed;
    case 409:
      return ErrorCode::toolchain_missing;
    case 413:
      return ErrorCode::body_too_large;
    case 503:
      return ErrorCode::no_capacity;
    case 507:
      return ErrorCode::no_space;
    default:
      return status >= 400 && status < 500 ? ErrorCode::bad_request : ErrorCode::internal;
  }
}

}  // namespace

std::string_view to_string(ErrorCode code) noexcept {
  return info(code).name;
}

std::optional<ErrorCode> error_code_from(std::string_view text) noexcept {
  for (const auto& row : k_codes) {
    if (row.name == text) {
      return row.code;
    }
  }
  return std::nullopt;
}

int http_status(ErrorCode code) noexcept {
  return info(code).status;
}

bool retryable_by_default(ErrorCode code) noexcept {
  return info(code).retryable;
}

std::string error_json(ErrorCode code, std::string_view message) {
  return error_json(code, message, retryable_by_default(code));
}

std::string error_json(ErrorCode code, std::string_view message, bool retryable) {
  return error_reply_json({std::string(to_string(code)), std::string(message), retryable});
}

ErrorInfo error_of(int status, std::string_view body) {
  if (auto reply = parse_error_reply(body)) {
    if (auto code = error_code_from(reply->code)) {
      return {*code, std::move(reply->message), reply->retryable};
    }
    const ErrorCode fallback = code_of_status(status);  // a newer peer's code
    return {fallback, std::move(reply->message), reply->retryable};
  }
  const ErrorCode code = code_of_status(status);
  return {code, std::string(body.substr(0, 200)), retryable_by_default(code)};
}

std::string error_from_body(std::string_view body) {
  if (auto reply = parse_error_reply(body)) {
    return reply->message;
  }
  return std::string(body.substr(0, 200));
}

}  // namespace sccache::wire
