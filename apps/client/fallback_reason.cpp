#include "client/fallback_reason.hpp"

namespace sccache {

std::string_view to_string(FallbackReason reason) noexcept {
  switch (reason) {
    case FallbackReason::scheduler_unreachable:
      return "scheduler_unreachable";
    case FallbackReason::scheduler_error:
      return "scheduler_error";
    case FallbackReason::auth_refused:
      return "auth_refused";
    case FallbackReason::no_capacity:
      return "no_capacity";
    case FallbackReason::toolchain_packaging:
      return "toolchain_packaging";
    case FallbackReason::toolchain_too_large:
      return "toolchain_too_large";
    case FallbackReason::toolchain_upload:
      return "toolchain_upload";
    case FallbackReason::toolchain_failed:
      return "toolchain_failed";
    case FallbackReason::server_unreachable:
      return "server_unreachable";
    case FallbackReason::server_error:
      return "server_error";
    case FallbackReason::sandbox_error:
      return "sandbox_error";
    case FallbackReason::remote_crash:
      return "remote_crash";
    case FallbackReason::transfer_error:
      return "transfer_error";
  }
  return "unknown";
}

bool worth_retrying_elsewhere(FallbackReason reason) noexcept {
  switch (reason) {
    case FallbackReason::server_unreachable:
    case FallbackReason::server_error:
    case FallbackReason::sandbox_error:
    case FallbackReason::remote_crash:
    case FallbackReason::transfer_error:
    case FallbackReason::toolchain_upload:
      return true;
    case FallbackReason::scheduler_unreachable:
    case FallbackReason::scheduler_error:
    case FallbackReason::auth_refused:
    case FallbackReason::no_capacity:
    case FallbackReason::toolchain_packaging:
    case FallbackReason::toolchain_too_large:
    case FallbackReason::toolchain_failed:
      return false;
  }
  return false;
}

}  // namespace sccache
