// Builds auth-jwt objects from config text, as the apps do, with a host context whose identity
// is a build server's public_addr.
#pragma once

#include <functional>
#include <string>

#include <fmt/format.h>

#include "sccache/auth.hpp"
#include "sccache/config_section.hpp"
#include "sccache/host_context.hpp"

#include "jwt_auth.hpp"

namespace sccache::test {

struct JwtFixture {
  explicit JwtFixture(std::string_view text, std::string key_path = "client_auth",
                      std::string identity = "")
      : table(parse_config_text(text, "scheduler.conf")),
        section("scheduler.conf", std::move(key_path), table),
        host(make_default_host_context(AppRole::tool, std::filesystem::temp_directory_path(),
                                       std::move(identity))) {}

  const AuthFactory& factory() const {
    return *static_cast<const AuthFactory*>(auth_jwt::descriptor()->factory);
  }
  std::unique_ptr<CredentialVerifier> verifier(std::string_view type, AuthRole role) {
    return factory().create_verifier(type, role, section, *host);
  }
  std::unique_ptr<CredentialProvider> provider(std::string_view type, AuthRole role) {
    return factory().create_provider(type, role, section, *host);
  }

  toml::table table;
  ConfigSection section;
  std::unique_ptr<HostContext> host;
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

inline std::string bearer(const std::string& token) {
  return "Bearer " + token;
}

}  // namespace sccache::test
