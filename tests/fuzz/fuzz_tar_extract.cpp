// The untrusted-archive extractor and reader (util/tar.hpp): extract_tar as build servers unpack
// job inputs and the client job outputs, and the reader under it, which both sandboxes' toolchain
// unpackers also use (fuzz_toolchain_archive): tars only, plain or compressed, with entry and
// byte caps. ArchiveError is the answer to bad input.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <unistd.h>

#include "util/tar.hpp"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path root =
      fs::temp_directory_path() / ("sccache-fuzz-tar-" + std::to_string(::getpid()));
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  fs::remove_all(root);
  fs::create_directories(root);
  try {
    std::istringstream in(bytes);
    util::extract_tar(in, root, {1000, 4u << 20});
  } catch (const util::ArchiveError&) {
  }
  // Nothing may land outside the root, whatever the archive says.
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_symlink()) {
      __builtin_trap();
    }
  }
  try {
    std::istringstream in(bytes);
    util::UntrustedTarReader reader(in, "the archive", {1000, 4u << 20});
    char buffer[4096];
    while (reader.next() != nullptr) {
      while (reader.read(buffer, sizeof buffer) > 0) {
      }
    }
  } catch (const util::ArchiveError&) {
  }
  fs::remove_all(root);
  return 0;
}
