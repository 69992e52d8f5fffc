// The TransportServer of this plugin (see http_server.cpp).
#pragma once

#include <memory>

#include "sccache/transport.hpp"

namespace sccache::transport_http {

// A server that is not started yet. `host` must outlive it.
std::unique_ptr<TransportServer> make_http_server(const ServerOptions& options, HostContext& host);

}  // namespace sccache::transport_http
