// Loads sccache-transport-http.so from SCCACHE_PLUGIN_PATH (set by ctest) through the plugin
// registry and does one request with the dlopen'ed factory.
#include <catch2/catch.hpp>

#include "sccache/plugin_registry.hpp"
#include "sccache/transport.hpp"

#include "support/test_support.hpp"

TEST_CASE("the transport-http module loads and serves a request") {
  sccache::test::TempDir temp("transport-http-loader");
  auto host = sccache::make_default_host_context(sccache::AppRole::tool, temp.path());
  sccache::PluginRegistry registry(sccache::PluginRegistry::default_search_dirs());
  const sccache::TransportFactory& factory = registry.transport("http");

  sccache::ServerOptions options;
  options.bind_host = "127.0.0.1";
  options.worker_threads = 2;
  auto server = factory.create_server("http", options, *host);
  server->add_route("GET", "/ping", [](sccache::ServerRequest&, sccache::ServerResponse& res) {
    res.send(200, "text/plain", "pong");
  });
  server->start();

  auto client = factory.create_client("http", {}, *host);
  sccache::Endpoint endpoint{false, "127.0.0.1", server->port(), {}};
  sccache::ClientRequest request;
  request.path = "/ping";
  sccache::ClientResponse response = client->send(endpoint, request);
  CHECK(response.status == 200);
  CHECK(response.body == "pong");
  server->stop();

  bool found = false;
  for (const auto& plugin : registry.loaded()) {
    found = found || plugin.origin.find("sccache-transport-http.so") != std::string::npos;
  }
  CHECK(found);
}
