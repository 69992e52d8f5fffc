// Builds an auth plugin's objects from config text, as the apps do, with a host context whose
// identity is a build server's public_addr (or empty). Shared by the auth plugin tests.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "sccache/auth.hpp"
#include "sccache/config_section.hpp"
#include "sccache/host_context.hpp"
#include "sccache/plugin_abi.h"

namespace sccache::test {

struct AuthPluginFixture {
  AuthPluginFixture(const sccache_plugin_descriptor* descriptor, std::string_view text,
                    std::string key_path, std::string identity = "")
      : table(parse_config_text(text, "scheduler.conf")),
        section("scheduler.conf", std::move(key_path), table),
        host(make_default_host_context(AppRole::tool, std::filesystem::temp_directory_path(),
                                       std::move(identity))),
        m_factory(static_cast<const AuthFactory*>(descriptor->factory)) {}

  const AuthFactory& factory() const { return *m_factory; }
  std::unique_ptr<CredentialVerifier> verifier(std::string_view type, AuthRole role) {
    return factory().create_verifier(type, role, section, *host);
  }
  std::unique_ptr<CredentialProvider> provider(std::string_view type, AuthRole role) {
    return factory().create_provider(type, role, section, *host);
  }

  toml::table table;
  ConfigSection section;
  std::unique_ptr<HostContext> host;

 private:
  const AuthFactory* m_factory;
};

// The ConfigError message `f` throws, or "(no error)".
inline std::string config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace sccache::test
