#include "common/server_socket.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/server_protocol.hpp"

namespace sccache::server_socket {
namespace {

std::optional<std::string> env_value(const std::vector<std::string>& environment,
                                     std::string_view key) {
  for (const auto& entry : environment) {
    if (entry.size() > key.size() && entry[key.size()] == '=' && entry.starts_with(key)) {
      return entry.substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

std::string parent_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string socket_path(const std::vector<std::string>& environment) {
  if (auto uds = env_value(environment, "SCCACHE_SERVER_UDS"); uds && !uds->empty()) {
    return *uds;
  }
  if (auto runtime = env_value(environment, "XDG_RUNTIME_DIR"); runtime && !runtime->empty()) {
    return *runtime + "/sccache/server.sock";
  }
  return "/tmp/sccache-" + std::to_string(::getuid()) + "/server.sock";
}

std::string prepare_socket_dir(const std::string& socket_path) {
  const std::string dir = parent_of(socket_path);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return "cannot create " + dir + ": " + std::strerror(errno);
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    return "cannot use " + dir + ": " + std::strerror(errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return dir + " is not a directory";
  }
  if (st.st_uid != ::getuid()) {
    return dir + " belongs to another user";
  }
  if ((st.st_mode & 077) != 0) {
    return dir + " may be entered by other users (it must be mode 0700)";
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    return "cannot write in " + dir + ": " + std::strerror(errno);
  }
  return "";
}

bool peer_is_this_user(int fd) {
  struct ucred cred {};
  socklen_t length = sizeof cred;
  return ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0 && cred.uid == ::getuid();
}

int connect_to_server(const std::string& path, std::string* error) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    *error = "no server socket at " + path;
    return -1;
  }
  if (!S_ISSOCK(st.st_mode) || st.st_uid != ::getuid()) {
    *error = path + " is not a socket of this user";
    return -1;
  }
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path) {
    *error = "the socket path is too long: " + path;
    return -1;
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    *error = "cannot connect to " + path + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (!peer_is_this_user(fd)) {
    *error = "the process serving " + path + " runs as another user";
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string build_identity(const std::string& server_binary, std::string_view version) {
  std::string build(version);
  struct stat st {};
  if (::stat(server_binary.c_str(), &st) == 0) {
    build += " " + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
             std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  }
  return build;
}

bool write_all(int fd, std::string_view data) {
  bool is_socket = true;
  while (!data.empty()) {
    // send() never raises SIGPIPE on a socket whose peer left; pipes and files take write().
    ssize_t n = is_socket ? ::send(fd, data.data(), data.size(), MSG_NOSIGNAL)
                          : ::write(fd, data.data(), data.size());
    if (n < 0 && errno == ENOTSOCK && is_socket) {
      is_socket = false;
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

ReadResult read_frame(int fd, std::string& buffer, std::string& body,
                      std::chrono::milliseconds timeout) {
  char chunk[65536];
  while (true) {
    size_t size = 0;
    try {
      size = server_protocol::frame_size(buffer);
    } catch (const server_protocol::ProtocolError&) {
      return ReadResult::error;
    }
    if (size > 0) {
      body.assign(buffer, 4, size - 4);
      buffer.erase(0, size);
      return ReadResult::frame;
    }
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready == 0) {
      return ReadResult::timeout;
    }
    if (ready < 0) {
      return ReadResult::error;
    }
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n == 0) {
      return ReadResult::closed;
    }
    if (n < 0) {
      return ReadResult::error;
    }
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace sccache::server_socket
