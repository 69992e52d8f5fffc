#include "sccache/plugin.hpp"

#include "transport-http/http_transport.hpp"

SCCACHE_EXPORT_PLUGIN(sccache::transport_http::descriptor)
