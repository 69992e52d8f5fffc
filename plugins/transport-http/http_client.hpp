// The TransportClient of this plugin (see http_client.cpp).
#pragma once

#include <memory>

#include "sccache/transport.hpp"

namespace sccache::transport_http {

// A thread-safe client with a keep-alive connection pool. `host` must outlive it.
std::unique_ptr<TransportClient> make_http_client(const ClientOptions& options, HostContext& host);

}  // namespace sccache::transport_http
