// A job container's reply as the docker builder reads it (sandbox-docker/job_reply.hpp): the
// helper's records (stdout, stderr, outputs, exit status) from a container in which an untrusted
// compile ran. The engine is trusted, so the input is the helper's byte stream and the harness
// cuts it into the engine's frames, as many and as small as its first byte says. SandboxError
// is the answer to a bad reply; an output may land only where the job asked for one.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/StreamSocketImpl.h>

#include "sccache/sandbox.hpp"

#include "sandbox-docker/engine_client.hpp"
#include "sandbox-docker/job_reply.hpp"

namespace fs = std::filesystem;
using namespace sccache;
using namespace sccache::sandbox_docker;

namespace {

void check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

// The helper's stdout as the engine frames it: stream 1, three zero bytes, a big-endian length.
std::string engine_frames(const uint8_t* data, size_t size) {
  if (size == 0) {
    return {};
  }
  const size_t chunk = 1 + size_t{data[0]} * 16;
  std::string framed;
  for (size_t at = 1; at < size; at += chunk) {
    const size_t n = std::min(chunk, size - at);
    const char header[8] = {1,
                            0,
                            0,
                            0,
                            static_cast<char>(n >> 24),
                            static_cast<char>(n >> 16),
                            static_cast<char>(n >> 8),
                            static_cast<char>(n)};
    framed.append(header, sizeof header);
    framed.append(reinterpret_cast<const char*>(data + at), n);
  }
  return framed;
}

// A connection whose bytes are all in `already_read`, its socket at end of stream already.
AttachedConnection connection(std::string bytes) {
  int fds[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  ::close(fds[1]);
  return AttachedConnection(Poco::Net::StreamSocket(new Poco::Net::StreamSocketImpl(fds[0])),
                            std::move(bytes));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path root =
      fs::temp_directory_path() / ("sccache-fuzz-docker-reply-" + std::to_string(::getpid()));
  const std::string framed = engine_frames(data, size);
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  try {
    AttachedConnection fresh = connection(framed);
    wait_until_ready(fresh, deadline);
  } catch (const SandboxError&) {
  }
  fs::remove_all(root);
  fs::create_directories(root);
  const std::vector<std::string> outputs = {"/src/a.o", "/src/deps/a.d"};
  ReplyLimits limits;
  limits.output_file = 1u << 20;
  limits.output_total = 2u << 20;
  try {
    AttachedConnection job = connection(framed);
    (void)read_job_reply(job, outputs, root, limits, deadline);
  } catch (const SandboxError&) {
  }
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string path = "/" + fs::relative(entry.path(), root).string();
    check(entry.is_directory() || path == outputs[0] || path == outputs[1]);
  }
  fs::remove_all(root);
  return 0;
}
