// What each app holds to use plugins: the registry, the host context, and helpers that turn a
// config table into a plugin object, reporting an unknown `type` as a config error at that key.
//
// Lifetime: the PluginHost must outlive every object it created (apps make it their first member).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sccache/auth.hpp"
#include "sccache/host_context.hpp"
#include "sccache/plugin_registry.hpp"
#include "sccache/sandbox.hpp"
#include "sccache/transport.hpp"

#include "common/config_document.hpp"

namespace sccache {

class PluginHost {
 public:
  // `config_dirs`: plugin_dir from the config, searched first. `identity`: what
  // HostContext::identity() answers (a build server's public_addr).
  PluginHost(AppRole role, const std::vector<std::filesystem::path>& config_dirs,
             std::string identity = {});

  PluginRegistry& registry() { return m_registry; }
  HostContext& context() { return *m_context; }

  std::unique_ptr<CredentialVerifier> make_verifier(const AuthSection& auth, AuthRole role);
  std::unique_ptr<CredentialProvider> make_provider(const AuthSection& auth, AuthRole role);
  std::unique_ptr<Sandbox> make_sandbox(const std::string& type, const ConfigSection& builder);
  const TransportFactory& transport();

 private:
  // Logs which file serves `type`, so operators can tell a drop-in plugin is the one in use.
  void log_provider(uint32_t kind, const std::string& type, std::string_view table);

  std::unique_ptr<HostContext> m_context;
  PluginRegistry m_registry;
};

}  // namespace sccache
