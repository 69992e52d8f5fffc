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

#include "client/client_config.hpp"
#include "client/compile/remote_executor.hpp"
#include "client/fallback_reason.hpp"
#include "common/plugin_host.hpp"
#include "common/wire.hpp"

namespace sccache {

class DistClient final : public RemoteExecutor {
 public:
  // Throws ConfigError/PluginError for a bad [dist.auth].
  explicit DistClient(const ClientConfig& config);
  ~DistClient() override;

  RemoteOutcome run(const RemoteJob& job, const std::filesystem::path& outputs_root,
                    std::chrono::milliseconds queue_wait) override;

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
