// One remote job, end to end: ask the scheduler for a server, upload the toolchain if the server
// lacks it, send the command and inputs, and receive the result and outputs.
//
// Failure: every reason the cluster could not help is a DistFailure with a named reason; the
// caller compiles locally. A compile error in the user's code is NOT a failure: it is a result
// with a non-zero exit code.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/tar.hpp"

#include "client/client_config.hpp"
#include "common/plugin_host.hpp"
#include "common/wire.hpp"

namespace sccache {

enum class FallbackReason {
  scheduler_unreachable,
  scheduler_error,
  auth_refused,
  no_capacity,
  toolchain_packaging,
  toolchain_too_large,
  toolchain_upload,
  server_unreachable,
  server_error,
  sandbox_error,
  remote_crash,
  transfer_error,
};
std::string_view to_string(FallbackReason reason) noexcept;

class DistFailure : public std::runtime_error {
 public:
  DistFailure(FallbackReason reason, const std::string& message, bool toolchain_corrupt = false)
      : std::runtime_error(message), m_reason(reason), m_toolchain_corrupt(toolchain_corrupt) {}
  FallbackReason reason() const { return m_reason; }
  // The server found the uploaded toolchain's bytes do not match its id.
  bool toolchain_corrupt() const { return m_toolchain_corrupt; }

 private:
  FallbackReason m_reason;
  bool m_toolchain_corrupt;
};

struct RemoteJob {
  std::string toolchain_id;
  std::filesystem::path toolchain_archive;
  wire::JobCommand command;            // toolchain_id is filled in from the field above
  std::vector<util::TarEntry> inputs;  // named by absolute job path
};

struct RemoteOutcome {
  std::string server_id;
  wire::JobResult result;
  // Where the outputs were extracted: job path /a/b.o is at outputs_root/a/b.o.
  std::filesystem::path outputs_root;
};

class DistClient {
 public:
  // Throws ConfigError/PluginError for a bad [dist.auth].
  explicit DistClient(const ClientConfig& config);
  ~DistClient();

  // Runs `job` remotely, extracting outputs under `outputs_root`. With `queue_wait` > 0 the
  // scheduler may hold the allocation that long for a free slot. Throws DistFailure.
  RemoteOutcome run(const RemoteJob& job, const std::filesystem::path& outputs_root,
                    std::chrono::milliseconds queue_wait = std::chrono::milliseconds(0));

 private:
  wire::AllocReply allocate(const std::string& toolchain_id, std::chrono::milliseconds queue_wait);
  void upload_toolchain(const Endpoint& server, const wire::AllocReply& alloc,
                        const std::string& toolchain_id, const std::filesystem::path& archive);
  // Returns false if the server asked for the toolchain first (409).
  bool run_on_server(const Endpoint& server, const wire::AllocReply& alloc, const RemoteJob& job,
                     const std::filesystem::path& outputs_root, RemoteOutcome* outcome);
  void report_failure(const wire::AllocReply& alloc, const std::string& reason) noexcept;
  Endpoint scheduler_endpoint() const;

  const ClientConfig& m_config;
  std::unique_ptr<PluginHost> m_plugins;
  std::unique_ptr<CredentialProvider> m_credentials;
  std::unique_ptr<TransportClient> m_transport;
};

}  // namespace sccache
