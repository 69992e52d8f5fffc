#include "sandbox-docker/job_reply.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sandbox-docker/helper_protocol.hpp"

namespace sccache::sandbox_docker {
namespace fs = std::filesystem;

static_assert(protocol::k_max_job_stream == k_max_job_stream_bytes);
static_assert(protocol::k_max_output_file == k_max_job_output_file_bytes);
static_assert(protocol::k_max_outputs == k_max_job_outputs_bytes);

namespace {

constexpr size_t k_max_diagnostics = 4096;

// The helper's stdout as one byte stream (the engine cuts it into frames); its stderr is kept
// apart as diagnostics.
class ReplyStream {
 public:
  ReplyStream(AttachedConnection& connection, Clock::time_point deadline)
      : m_connection(connection), m_deadline(deadline) {}

  // Fills `size` bytes; false if the stream ends before the first.
  bool read(char* data, size_t size) {
    size_t done = 0;
    while (done < size) {
      if (m_offset == m_frame.data.size()) {
        if (!next_frame()) {
          if (done == 0) {
            return false;
          }
          throw SandboxError("the job's container ended in the middle of its reply" + details());
        }
        continue;
      }
      size_t n = std::min(size - done, m_frame.data.size() - m_offset);
      std::memcpy(data + done, m_frame.data.data() + m_offset, n);
      m_offset += n;
      done += n;
    }
    return true;
  }

  void read_exact(char* data, size_t size) {
    if (!read(data, size)) {
      throw SandboxError("the job's container ended in the middle of its reply" + details());
    }
  }

  uint64_t uint(const char* bytes, int size) const {
    uint64_t v = 0;
    for (int i = 0; i < size; ++i) {
      v = (v << 8) | static_cast<unsigned char>(bytes[i]);
    }
    return v;
  }

  // ": <what the helper said on stderr>" or "".
  std::string details() const { return m_diagnostics.empty() ? "" : ": " + m_diagnostics; }

 private:
  bool next_frame() {
    while (m_connection.read_frame(m_frame, m_deadline)) {
      m_offset = 0;
      if (m_frame.stream == AttachedConnection::Stream::stdout_stream) {
        return true;
      }
      m_diagnostics += m_frame.data.substr(0, k_max_diagnostics - m_diagnostics.size());
      m_frame.data.clear();
    }
    return false;
  }

  AttachedConnection& m_connection;
  Clock::time_point m_deadline;
  AttachedConnection::Frame m_frame;
  size_t m_offset = 0;
  std::string m_diagnostics;
};

struct RecordHeader {
  uint8_t type = 0;
  uint64_t length = 0;
};

bool read_header(ReplyStream& in, RecordHeader& header, bool first) {
  char bytes[9];
  if (!in.read(bytes, sizeof bytes)) {
    if (first) {
      throw ContainerGone("the job's container ended before it answered" + in.details());
    }
    throw SandboxError("the job's container ended before its reply was complete" + in.details());
  }
  header.type = static_cast<uint8_t>(bytes[0]);
  header.length = in.uint(bytes + 1, 8);
  return true;
}

std::string read_payload(ReplyStream& in, uint64_t length, size_t limit, const char* what) {
  if (length > limit) {
    throw SandboxError(
        fmt::format("{} from the job's container is too long ({} bytes)", what, length));
  }
  std::string data(length, '\0');
  in.read_exact(data.data(), data.size());
  return data;
}

// Appends a stdout or stderr record to what was captured of that stream, which must stay within
// k_max_captured_output in all (each record is small; their number is not bounded).
void append_captured(ReplyStream& in, uint64_t length, std::string& captured, const char* what) {
  if (length > k_max_captured_output - captured.size()) {
    throw SandboxError(
        fmt::format("the job wrote more than {} MiB to {}", k_max_captured_output >> 20, what));
  }
  const size_t old_size = captured.size();
  captured.resize(old_size + length);
  in.read_exact(captured.data() + old_size, length);
}

// Outputs received so far, and what they may add up to.
struct OutputBudget {
  const ReplyLimits& limits;
  uint64_t total = 0;

  // Throws unless one more output of `size` bytes fits.
  void take(const std::string& path, uint64_t size) {
    if (size > limits.output_file) {
      throw SandboxError(
          fmt::format("the job's output {} is {} bytes, more than the {} MiB an "
                      "output may have",
                      path, size, limits.output_file >> 20));
    }
    if (size > limits.output_total - total) {
      throw SandboxError(fmt::format(
          "the job's outputs are more than the {} MiB all outputs may have together (at {})",
          limits.output_total >> 20, path));
    }
    total += size;
  }
};

// Writes one output file, streamed from the reply, to outputs_root/<path>.
std::string receive_output(ReplyStream& in, uint64_t length, const std::vector<std::string>& wanted,
                           std::vector<std::string>& collected, const fs::path& outputs_root,
                           OutputBudget& budget) {
  char size_bytes[4];
  in.read_exact(size_bytes, 4);
  uint64_t path_size = in.uint(size_bytes, 4);
  if (path_size > protocol::k_max_string || 4 + path_size > length) {
    throw SandboxError("malformed output record from the job's container");
  }
  std::string path(path_size, '\0');
  in.read_exact(path.data(), path.size());
  if (std::find(wanted.begin(), wanted.end(), path) == wanted.end() ||
      std::find(collected.begin(), collected.end(), path) != collected.end()) {
    throw SandboxError(
        fmt::format("the job's container sent an output nobody asked for: {}", path));
  }
  const uint64_t size = length - 4 - path_size;
  budget.take(path, size);
  fs::path target = outputs_root / fs::path(path).relative_path();
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw SandboxError(
        fmt::format("cannot write output {}: {}", target.string(), std::strerror(errno)));
  }
  char buffer[65536];
  for (uint64_t left = size; left > 0;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, sizeof buffer));
    in.read_exact(buffer, n);
    for (size_t done = 0; done < n;) {
      ssize_t w = ::write(fd, buffer + done, n - done);
      if (w < 0) {
        int error = errno;
        ::close(fd);
        throw SandboxError(
            fmt::format("cannot write output {}: {}", target.string(), std::strerror(error)));
      }
      done += static_cast<size_t>(w);
    }
    left -= n;
  }
  ::close(fd);
  collected.push_back(path);
  return path;
}

}  // namespace

void wait_until_ready(AttachedConnection& connection, Clock::time_point deadline) {
  ReplyStream in(connection, deadline);
  RecordHeader header;
  read_header(in, header, true);
  if (header.type != protocol::k_reply_ready || header.length != 0) {
    throw SandboxError("the job container's helper did not start properly" + in.details());
  }
}

SandboxResult read_job_reply(AttachedConnection& connection,
                             const std::vector<std::string>& outputs, const fs::path& outputs_root,
                             const ReplyLimits& limits, Clock::time_point deadline) {
  ReplyStream in(connection, deadline);
  SandboxResult result;
  OutputBudget budget{limits};
  bool exited = false;
  uint32_t oom_kills = 0;
  for (bool first = true;; first = false) {
    RecordHeader header;
    read_header(in, header, first);
    switch (header.type) {
      case protocol::k_reply_stdout:
        append_captured(in, header.length, result.stdout_data, "stdout");
        break;
      case protocol::k_reply_stderr:
        append_captured(in, header.length, result.stderr_data, "stderr");
        break;
      case protocol::k_reply_output:
        receive_output(in, header.length, outputs, result.collected, outputs_root, budget);
        break;
      case protocol::k_reply_exit: {
        std::string status = read_payload(in, header.length, 64, "the exit record");
        if (status.size() != 9) {
          throw SandboxError("malformed exit record from the job's container");
        }
        bool signaled = status[0] != 0;
        int value = static_cast<int>(in.uint(status.data() + 1, 4));
        result.exit_code = signaled ? -1 : value;
        result.term_signal = signaled ? value : 0;
        oom_kills = static_cast<uint32_t>(in.uint(status.data() + 5, 4));
        exited = true;
        break;
      }
      case protocol::k_reply_error:
        throw SandboxError(read_payload(in, header.length, 64 * 1024, "the error record"));
      case protocol::k_reply_end:
        if (!exited) {
          throw SandboxError("the job's container ended without an exit status" + in.details());
        }
        if (oom_kills > 0) {
          throw SandboxError(fmt::format(
              "the job ran out of memory (the kernel killed {} of its processes; [builder] "
              "memory = {} MiB per job)",
              oom_kills, limits.memory >> 20));
        }
        if (result.term_signal == SIGXFSZ) {
          throw SandboxError(fmt::format(
              "the job was killed for writing a file of more than {} MiB (RLIMIT_FSIZE)",
              protocol::k_max_outputs >> 20));
        }
        return result;
      default:
        throw SandboxError(
            fmt::format("unknown record {} from the job's container", int{header.type}));
    }
  }
}

}  // namespace sccache::sandbox_docker
