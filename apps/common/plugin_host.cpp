#include "common/plugin_host.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

namespace sccache {

namespace {

std::filesystem::path app_temp_dir() {
  std::error_code ec;
  auto dir = std::filesystem::temp_directory_path(ec);
  return ec ? std::filesystem::path("/tmp") : dir;
}

// Runs `make`, turning "no plugin serves this type" into a config error at the `type` key.
template <typename Make>
decltype(auto) at_type_key(const ConfigSection& table, Make&& make) {
  try {
    return make();
  } catch (const PluginError& error) {
    table.fail("type", error.what());
  }
}

}  // namespace

PluginHost::PluginHost(AppRole role, const std::vector<std::filesystem::path>& config_dirs,
                       std::string identity)
    : m_context(make_default_host_context(role, app_temp_dir(), std::move(identity))),
      m_registry(PluginRegistry::default_search_dirs(config_dirs)) {}

std::unique_ptr<CredentialVerifier> PluginHost::make_verifier(const AuthSection& auth,
                                                              AuthRole role) {
  const AuthFactory& factory =
      at_type_key(auth.table, [&]() -> const AuthFactory& { return m_registry.auth(auth.type); });
  log_provider(SCCACHE_PLUGIN_KIND_AUTH, auth.type, auth_role_table(role));
  return factory.create_verifier(auth.type, role, auth.table, *m_context);
}

std::unique_ptr<CredentialProvider> PluginHost::make_provider(const AuthSection& auth,
                                                              AuthRole role) {
  const AuthFactory& factory =
      at_type_key(auth.table, [&]() -> const AuthFactory& { return m_registry.auth(auth.type); });
  log_provider(SCCACHE_PLUGIN_KIND_AUTH, auth.type, auth_role_table(role));
  return factory.create_provider(auth.type, role, auth.table, *m_context);
}

std::unique_ptr<Sandbox> PluginHost::make_sandbox(const std::string& type,
                                                  const ConfigSection& builder) {
  const SandboxFactory& factory =
      at_type_key(builder, [&]() -> const SandboxFactory& { return m_registry.sandbox(type); });
  log_provider(SCCACHE_PLUGIN_KIND_SANDBOX, type, "builder");
  return factory.create(type, builder, *m_context);
}

void PluginHost::log_provider(uint32_t kind, const std::string& type, std::string_view table) {
  if (const LoadedPlugin* plugin = m_registry.provider_of(kind, type)) {
    m_context->logger("plugins")->info("[{}] type \"{}\": {} {} ({})", table, type, plugin->origin,
                                       plugin->descriptor->version,
                                       plugin->descriptor->description);
  }
}

const TransportFactory& PluginHost::transport() {
  return m_registry.transport("http");
}

}  // namespace sccache
