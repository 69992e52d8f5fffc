#include "sccache/build_fingerprint.hpp"

namespace sccache {

const char* core_build_fingerprint() noexcept {
  return SCCACHE_BUILD_FINGERPRINT;
}

}  // namespace sccache
