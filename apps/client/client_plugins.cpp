#include "client/client_plugins.hpp"

namespace sccache {

std::unique_ptr<PluginHost> make_client_plugin_host(const ClientConfig& config) {
  auto host = std::make_unique<PluginHost>(AppRole::client, config.plugin_dirs);
  register_builtin_plugins(host->registry());
  return host;
}

std::unique_ptr<CredentialProvider> make_client_credentials(PluginHost& host,
                                                            const ClientConfig& config) {
  if (config.auth) {
    return host.make_provider(*config.auth, AuthRole::client_credential);
  }
  static const ConfigDocument k_default =
      config_document_from_text("type = \"DANGEROUSLY_INSECURE\"\n", "(default [dist.auth])");
  return host.make_provider({"DANGEROUSLY_INSECURE", k_default.section()},
                            AuthRole::client_credential);
}

}  // namespace sccache
