#include "sandbox-docker/job_request.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sandbox-docker/helper_protocol.hpp"

namespace sccache::sandbox_docker {
namespace fs = std::filesystem;

namespace {

constexpr size_t k_send_buffer = 256 * 1024;

// Buffers the request and writes it to the sink in large pieces.
class RequestWriter {
 public:
  explicit RequestWriter(const RequestSink& sink) : m_sink(sink) {
    m_buffer.reserve(k_send_buffer);
  }

  void bytes(const char* data, size_t size) {
    if (m_buffer.size() + size > k_send_buffer) {
      flush();
    }
    if (size >= k_send_buffer) {
      m_sink(data, size);
    } else {
      m_buffer.append(data, size);
    }
  }
  void uint(uint64_t value, int size) {
    char out[8];
    for (int i = 0; i < size; ++i) {
      out[i] = static_cast<char>(value >> (8 * (size - 1 - i)));
    }
    bytes(out, static_cast<size_t>(size));
  }
  void string(const std::string& text) {
    if (text.size() > protocol::k_max_string) {
      throw SandboxError(
          fmt::format("a job string is longer than {} bytes", protocol::k_max_string));
    }
    uint(text.size(), 4);
    bytes(text.data(), text.size());
  }
  void list(const std::vector<std::string>& items) {
    if (items.size() > protocol::k_max_list) {
      throw SandboxError("a job list has too many entries");
    }
    uint(items.size(), 4);
    for (const auto& item : items) {
      string(item);
    }
  }
  void flush() {
    if (!m_buffer.empty()) {
      m_sink(m_buffer.data(), m_buffer.size());
      m_buffer.clear();
    }
  }

 private:
  const RequestSink& m_sink;
  std::string m_buffer;
};

void send_file(RequestWriter& out, const fs::path& file, const std::string& path) {
  int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    int error = errno;
    if (fd >= 0) {
      ::close(fd);
    }
    throw SandboxError(
        fmt::format("cannot read input {}: {}", file.string(), std::strerror(error)));
  }
  out.uint(protocol::k_entry_file, 1);
  out.string(path);
  out.uint(st.st_mode & 0777, 4);
  out.uint(static_cast<uint64_t>(st.st_size), 8);
  char buffer[65536];
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = ::read(fd, buffer, static_cast<size_t>(std::min<off_t>(left, sizeof buffer)));
    if (n <= 0) {
      ::close(fd);
      throw SandboxError(fmt::format("input {} changed while it was sent", file.string()));
    }
    out.bytes(buffer, static_cast<size_t>(n));
    left -= n;
  }
  ::close(fd);
}

// Every entry under inputs_root (none if empty), parents first, symlinks as symlinks (never
// followed).
void send_inputs(RequestWriter& out, const fs::path& root) {
  if (root.empty()) {
    return;
  }
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& host = it->path();
    std::string path = "/" + host.lexically_relative(root).generic_string();
    fs::file_status status = it->symlink_status(ec);
    if (ec) {
      break;
    }
    if (fs::is_symlink(status)) {
      out.uint(protocol::k_entry_symlink, 1);
      out.string(path);
      out.string(fs::read_symlink(host, ec).string());
    } else if (fs::is_directory(status)) {
      out.uint(protocol::k_entry_directory, 1);
      out.string(path);
      out.uint(0755, 4);
    } else if (fs::is_regular_file(status)) {
      send_file(out, host, path);
    }  // sockets, FIFOs and devices are not inputs
  }
  if (ec) {
    throw SandboxError(
        fmt::format("cannot read the job's inputs in {}: {}", root.string(), ec.message()));
  }
}

// Entries for `dir` and each of its parents below "/" ("/" itself only if it is `dir`).
void send_directories(RequestWriter& out, const std::string& dir, uint8_t kind) {
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    std::string prefix = dir.substr(0, slash);
    if (prefix.size() > 1 || prefix == dir) {
      out.uint(kind, 1);
      out.string(prefix);
      out.uint(0755, 4);
    }
    if (slash == std::string::npos) {
      return;
    }
  }
}

}  // namespace

JobPaths validate_job(const SandboxJob& job) {
  validate_sandbox_job(job);
  JobPaths paths;
  paths.cwd = job_path("/", job.cwd);
  for (const auto& output : job.outputs) {
    std::string path = job_path(paths.cwd, output);
    if (path != "/" &&
        std::find(paths.outputs.begin(), paths.outputs.end(), path) == paths.outputs.end()) {
      paths.outputs.push_back(path);
    }
  }
  return paths;
}

void send_job_request(AttachedConnection& connection, const SandboxJob& job, const JobPaths& paths,
                      const JobUser& user, Clock::time_point deadline) {
  write_job_request([&](const char* data, size_t size) { connection.send(data, size, deadline); },
                    job, paths, user);
}

void write_job_request(const RequestSink& sink, const SandboxJob& job, const JobPaths& paths,
                       const JobUser& user) {
  RequestWriter out(sink);
  out.bytes(protocol::k_request_magic, sizeof protocol::k_request_magic);
  out.uint(user.uid, 4);
  out.uint(user.gid, 4);
  std::vector<std::string> argv = {job.executable};
  argv.insert(argv.end(), job.arguments.begin(), job.arguments.end());
  out.list(argv);
  std::vector<std::string> env;
  for (const auto& [key, value] : job.environment) {
    if (!key.empty() && key.find('=') == std::string::npos) {  // as bwrap's --setenv would
      env.push_back(key + "=" + value);
    }
  }
  out.list(env);
  out.string(paths.cwd);
  out.list(paths.outputs);
  send_inputs(out, job.inputs_root);
  send_directories(out, paths.cwd, protocol::k_entry_directory);
  for (const auto& output : paths.outputs) {
    send_directories(out, fs::path(output).parent_path().string(),
                     protocol::k_entry_directory_if_possible);
  }
  out.uint(protocol::k_entry_end, 1);
  out.flush();
}

}  // namespace sccache::sandbox_docker
