// auth-jwt objects from config text (see auth_plugin_fixture.hpp).
#pragma once

#include <string>

#include <fmt/format.h>

#include "auth-jwt/jwt_auth.hpp"
#include "support/auth_plugin_fixture.hpp"

namespace sccache::test {

struct JwtFixture : AuthPluginFixture {
  explicit JwtFixture(std::string_view text, std::string key_path = "client_auth",
                      std::string identity = "")
      : AuthPluginFixture(auth_jwt::descriptor(), text, std::move(key_path), std::move(identity)) {}
};

inline std::string bearer(const std::string& token) {
  return "Bearer " + token;
}

}  // namespace sccache::test
