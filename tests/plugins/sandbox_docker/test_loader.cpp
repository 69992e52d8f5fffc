// The plugin as the server loads it: sccache-sandbox-docker.so through the PluginRegistry. Needs
// no engine (check_ready is not called).
#include <catch2/catch.hpp>

#include "sccache/plugin_registry.hpp"

#include "support/test_support.hpp"

using namespace sccache;

TEST_CASE("the docker sandbox loads from its shared object") {
  PluginRegistry registry(PluginRegistry::default_search_dirs());
  const SandboxFactory& factory = registry.sandbox("docker");
  bool found = false;
  for (const auto& plugin : registry.loaded()) {
    if (plugin.origin.find("sccache-sandbox-docker.so") != std::string::npos) {
      found = true;
      CHECK(plugin.descriptor->kind == SCCACHE_PLUGIN_KIND_SANDBOX);
      CHECK(std::string(plugin.descriptor->types[0]) == "docker");
      CHECK(plugin.descriptor->types[1] == nullptr);
    }
  }
  CHECK(found);

  test::TempDir dir("sccache-docker-loader");
  toml::table table = parse_config_text("[builder]\ntype = \"docker\"\nmemory = \"1G\"\n",
                                        dir.path() / "server.conf");
  ConfigSection section(dir.path() / "server.conf", "builder", *table["builder"].as_table());
  auto host = make_default_host_context(AppRole::tool, dir.path());
  std::unique_ptr<Sandbox> sandbox = factory.create("docker", section, *host);
  REQUIRE(sandbox != nullptr);
  CHECK(sandbox->describe() == "docker");
  CHECK_FALSE(sandbox->has_toolchain(std::string(64, 'a')));

  toml::table bad =
      parse_config_text("[builder]\ntype = \"docker\"\ncpu = 2\n", dir.path() / "server.conf");
  ConfigSection bad_section(dir.path() / "server.conf", "builder", *bad["builder"].as_table());
  CHECK_THROWS_AS(factory.create("docker", bad_section, *host), ConfigError);
}
