// Why a compile the cluster was asked for ran locally after all: every such decision has a name,
// counted in --show-stats, and says whether trying another build server could have helped.
//
// Threads: pure values and functions.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace sccache {

enum class FallbackReason {
  scheduler_unreachable,  // no connection to the scheduler
  scheduler_error,        // the scheduler answered something unusable
  auth_refused,           // the scheduler refused our credential
  no_capacity,            // no free slot in the cluster (and none came while we waited)
  toolchain_packaging,    // the local compiler could not be packaged
  toolchain_too_large,    // the toolchain does not fit the client's or a server's cache
  toolchain_upload,       // the upload failed (the network, or a corrupt archive)
  toolchain_failed,       // the compiler could not run from its toolchain on the server
  server_unreachable,     // no connection to the build server, or it broke
  server_error,           // the build server answered something unusable
  sandbox_error,          // the build server's sandbox could not run the job
  remote_crash,           // the compiler was killed by a signal on the server
  transfer_error,         // the job's result or outputs arrived damaged
};

std::string_view to_string(FallbackReason reason) noexcept;

// Whether another build server may succeed where this one failed: true for what is the server's
// fault or the network's (unreachable, sandbox, crash, transfer), false for what would fail
// everywhere (credentials, packaging, a broken toolchain) or is the scheduler's.
bool worth_retrying_elsewhere(FallbackReason reason) noexcept;

// The cluster could not help with this compile; the caller compiles locally.
class DistFailure : public std::runtime_error {
 public:
  enum class Toolchain { fine, corrupt };
  DistFailure(FallbackReason reason, const std::string& message,
              Toolchain toolchain = Toolchain::fine)
      : std::runtime_error(message), m_reason(reason), m_toolchain(toolchain) {}
  FallbackReason reason() const noexcept { return m_reason; }
  // The server found the uploaded toolchain's bytes do not match its id: the cached archive is
  // damaged and must be packaged again.
  bool toolchain_corrupt() const noexcept { return m_toolchain == Toolchain::corrupt; }
  bool retryable() const noexcept {
    return !toolchain_corrupt() && worth_retrying_elsewhere(m_reason);
  }

 private:
  FallbackReason m_reason;
  Toolchain m_toolchain;
};

}  // namespace sccache
