// The plugin as the server loads it: sccache-sandbox-bwrap.so through the PluginRegistry.
#include <catch2/catch.hpp>

#include "sccache/plugin_registry.hpp"

#include "support/test_support.hpp"

using namespace sccache;

TEST_CASE("the overlay sandbox loads from its shared object") {
  PluginRegistry registry(PluginRegistry::default_search_dirs());
  const SandboxFactory& factory = registry.sandbox("overlay");
  bool found = false;
  for (const auto& plugin : registry.loaded()) {
    if (plugin.origin.find("sccache-sandbox-bwrap.so") != std::string::npos) {
      found = true;
      CHECK(plugin.descriptor->kind == SCCACHE_PLUGIN_KIND_SANDBOX);
      CHECK(std::string(plugin.descriptor->types[0]) == "overlay");
    }
  }
  CHECK(found);

  test::TempDir dir("sccache-bwrap-loader");
  toml::table table = parse_config_text(
      "[builder]\ntype = \"overlay\"\nbuild_dir = \"" + (dir.path() / "build").string() + "\"\n",
      "server.conf");
  ConfigSection section("server.conf", "builder", *table["builder"].as_table());
  auto host = make_default_host_context(AppRole::tool, dir.path());
  std::unique_ptr<Sandbox> sandbox = factory.create("overlay", section, *host);
  REQUIRE(sandbox != nullptr);
  CHECK(sandbox->describe().rfind("overlay+bwrap", 0) == 0);
  CHECK_FALSE(sandbox->has_toolchain(std::string(64, 'a')));
}
