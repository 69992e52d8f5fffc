// The plugin's TransportFactory: serves the config type "http".
#include <stdexcept>

#include <fmt/format.h>

#include "sccache/plugin.hpp"

#include "transport-http/http_client.hpp"
#include "transport-http/http_server.hpp"
#include "transport-http/http_transport.hpp"

namespace sccache::transport_http {
namespace {

constexpr std::string_view k_type = "http";

void check_type(std::string_view type) {
  if (type != k_type) {
    throw std::invalid_argument(fmt::format(
        "transport-http: unknown transport type \"{}\" (this plugin serves \"{}\")", type, k_type));
  }
}

class HttpTransportFactory final : public TransportFactory {
 public:
  std::unique_ptr<TransportServer> create_server(std::string_view type,
                                                 const ServerOptions& options,
                                                 HostContext& host) const override {
    check_type(type);
    return make_http_server(options, host);
  }

  std::unique_ptr<TransportClient> create_client(std::string_view type,
                                                 const ClientOptions& options,
                                                 HostContext& host) const override {
    check_type(type);
    return make_http_client(options, host);
  }
};

const HttpTransportFactory g_factory;

}  // namespace

SCCACHE_DEFINE_PLUGIN(descriptor, SCCACHE_PLUGIN_KIND_TRANSPORT, TransportFactory, g_factory,
                      "1.0.0", "HTTP/1.1 over Poco::Net, TLS with pinned self-signed certificates",
                      "http")

}  // namespace sccache::transport_http
