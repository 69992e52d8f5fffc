// A run request's body as the build server reads it (buildserver/job_service.cpp): a command
// frame, then the job's inputs as a zstd tar unpacked into a fresh directory under the caps the
// server uses. Also the client's reading of a run response: progress frames, then the final one.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <unistd.h>

#include "util/tar.hpp"

#include "common/wire.hpp"

namespace fs = std::filesystem;
using namespace sccache;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  {
    std::istringstream in(bytes);
    try {
      (void)wire::JobCommand::from_json(wire::read_frame(in, 1u << 20));
      static const fs::path root =
          fs::temp_directory_path() / ("sccache-fuzz-job-" + std::to_string(::getpid()));
      fs::remove_all(root);
      fs::create_directories(root);
      util::extract_tar(in, root, {1000, 1u << 20});
      fs::remove_all(root);
    } catch (const wire::WireError&) {
    } catch (const util::ArchiveError&) {
    }
  }
  {
    std::istringstream in(bytes);
    int progress = 0;
    try {
      (void)wire::read_final_frame(in, 1u << 20, [&] {
        if (++progress > 1000) {
          throw wire::WireError("enough");
        }
      });
    } catch (const wire::WireError&) {
    }
  }
  return 0;
}
