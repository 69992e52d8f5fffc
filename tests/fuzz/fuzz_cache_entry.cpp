// The compile cache's files as read back from disk or Redis, where another process or a damaged
// disk may have written anything (client/cache/): result entries, manifests, and depfiles. A bad
// entry must be a miss (CorruptEntry), never a wrong object or a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "client/cache/cache_entry.hpp"
#include "client/cache/depfile.hpp"
#include "client/cache/manifest.hpp"

using namespace sccache::cache;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    (void)decode_result(bytes);
  } catch (const CorruptEntry&) {
  }
  try {
    (void)decode_manifest(bytes);
  } catch (const CorruptEntry&) {
  }
  (void)depfile_prerequisites(bytes, "/src");
  return 0;
}
