#include "sccache/plugin.hpp"

#include "http_transport.hpp"

SCCACHE_EXPORT_PLUGIN(sccache::transport_http::descriptor)
