// One-time OpenSSL/Poco::NetSSL initialisation.
#pragma once

namespace sccache::transport_http {

// Calls Poco::Net::initializeSSL() once per process (thread-safe). It is never undone: TLS
// objects may live until exit, and other users of Poco::NetSSL may share the library state.
void ensure_ssl_initialized();

}  // namespace sccache::transport_http
