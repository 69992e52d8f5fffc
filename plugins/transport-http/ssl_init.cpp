#include "transport-http/ssl_init.hpp"

#include <mutex>

#include <Poco/Net/NetSSL.h>

namespace sccache::transport_http {

void ensure_ssl_initialized() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

}  // namespace sccache::transport_http
