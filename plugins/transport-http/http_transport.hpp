// The HTTP transport plugin (config `type = "http"`): an HTTP/1.1 server with routes and a
// keep-alive client, over Poco::Net; with TLS, the server generates a self-signed ECDSA P-256
// certificate at start and clients accept only the certificate whose SHA-256 they were given.
#pragma once

#include "sccache/plugin_abi.h"

namespace sccache::transport_http {

const sccache_plugin_descriptor* descriptor() noexcept;

}  // namespace sccache::transport_http
