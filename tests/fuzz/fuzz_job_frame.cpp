// A run request's body as the build server reads it (buildserver/job_service.cpp): a command
// frame, then the job's inputs as a zstd tar unpacked into a fresh directory (under caps lower
// than the server's, which only bound the work). Also the client's reading of a run response:
// progress frames, the final frame, then the outputs.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <unistd.h>

#include "sccache/transport.hpp"

#include "util/tar.hpp"

#include "common/wire.hpp"

namespace fs = std::filesystem;
using namespace sccache;

namespace {

// A fresh, empty directory for one input's extraction, removed after it.
struct FreshDir {
  explicit FreshDir(const char* what)
      : path(fs::temp_directory_path() /
             (std::string("sccache-fuzz-") + what + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~FreshDir() { fs::remove_all(path); }
  const fs::path path;
};

// As the build server's handle_run reads a run request body.
void run_request(const std::string& bytes) {
  std::istringstream in(bytes);
  try {
    (void)wire::JobCommand::from_json(wire::read_frame(in, 1u << 20));
    const FreshDir inputs("inputs");
    util::extract_tar(in, inputs.path, {1000, 1u << 20});
  } catch (const wire::WireError&) {
  } catch (const util::ArchiveError&) {
  }
}

// As the client's dist_client reads a run response: progress frames, the final frame (an error
// reply or a JobResult), then the outputs.
void run_response(const std::string& bytes) {
  std::istringstream in(bytes);
  int progress = 0;
  try {
    const std::string frame = wire::read_final_frame(in, 1u << 20, [&] {
      if (++progress > 1000) {
        throw wire::WireError("enough");
      }
    });
    if (parse_error_reply(frame)) {
      return;
    }
    (void)wire::JobResult::from_json(frame);
    const FreshDir outputs("outputs");
    util::extract_tar(in, outputs.path, {1000, 1u << 20});
  } catch (const wire::WireError&) {
  } catch (const util::ArchiveError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  run_request(bytes);
  run_response(bytes);
  return 0;
}
