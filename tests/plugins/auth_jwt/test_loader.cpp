// Loads the built sccache-auth-jwt.so through the plugin registry, as the scheduler does.
#include <catch2/catch.hpp>

#include "sccache/plugin_registry.hpp"

#include "support/test_support.hpp"

using namespace sccache;

TEST_CASE("the registry loads auth-jwt from the plugin directory and serves its three types") {
  PluginRegistry registry(PluginRegistry::default_search_dirs());
  const AuthFactory& hs256 = registry.auth("jwt_hs256");
  CHECK(&registry.auth("jwt_token") == &hs256);
  CHECK(&registry.auth("jwt_validate") == &hs256);
  bool found = false;
  for (const auto& plugin : registry.loaded()) {
    if (plugin.origin.find("sccache-auth-jwt.so") != std::string::npos) {
      found = true;
      CHECK(std::string(plugin.descriptor->version) == "1.0.0");
    }
  }
  CHECK(found);
}
