#include "plugins/sandbox_docker/engine_proxy.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace sccache::test::docker {
namespace fs = std::filesystem;

namespace {

constexpr size_t k_max_head = 64 * 1024;

sockaddr_un address_of(const fs::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof address.sun_path) {
    throw std::runtime_error("socket path too long: " + path.string());
  }
  std::strcpy(address.sun_path, path.c_str());
  return address;
}

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The value of `name` in an HTTP head (case-insensitive), or "".
std::string header(const std::string& head, const std::string& name) {
  std::string lower = head;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  size_t at = lower.find("\r\n" + name + ":");
  if (at == std::string::npos) {
    return {};
  }
  size_t start = at + name.size() + 3;
  size_t end = head.find("\r\n", start);
  std::string value = head.substr(start, end - start);
  value.erase(0, value.find_first_not_of(' '));
  return value;
}

// Copies both ways until both sides have ended, passing half-closes on.
void pump(int a, int b) {
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  bool open[2] = {true, true};
  char buffer[65536];
  while (open[0] || open[1]) {
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
      return;
    }
    for (int i = 0; i < 2; ++i) {
      if (!open[i] || fds[i].revents == 0) {
        continue;
      }
      ssize_t n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
      if (n > 0 && write_all(fds[1 - i].fd, buffer, static_cast<size_t>(n))) {
        continue;
      }
      if (n < 0 && errno == EINTR) {
        continue;
      }
      open[i] = false;
      fds[i].fd = -1;
      ::shutdown(i == 0 ? b : a, SHUT_WR);
      if (n != 0) {  // an error, not an end: stop both ways
        return;
      }
    }
  }
}

}  // namespace

EngineProxy::EngineProxy(fs::path engine_socket, fs::path socket)
    : m_engine_socket(std::move(engine_socket)), m_socket(std::move(socket)) {
  sockaddr_un address = address_of(m_socket);
  m_listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (m_listener < 0 || ::pipe2(m_wake, O_CLOEXEC) != 0 ||
      ::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(m_listener, 64) != 0) {
    throw std::runtime_error("cannot listen on " + m_socket.string() + ": " + std::strerror(errno));
  }
  m_acceptor = std::thread([this] { accept_loop(); });
}

EngineProxy::~EngineProxy() {
  m_stopping = true;
  (void)!::write(m_wake[1], "x", 1);
  m_acceptor.join();
  {
    std::lock_guard lock(m_mutex);
    for (int fd : m_open) {
      ::shutdown(fd, SHUT_RDWR);
    }
  }
  for (auto& thread : m_threads) {
    thread.join();
  }
  ::close(m_listener);
  ::close(m_wake[0]);
  ::close(m_wake[1]);
  std::error_code ec;
  fs::remove(m_socket, ec);
}

void EngineProxy::answer(const std::string& request, int status, const std::string& body) {
  std::lock_guard lock(m_mutex);
  m_rules.push_back({request, status, body});
}

void EngineProxy::clear() {
  std::lock_guard lock(m_mutex);
  m_rules.clear();
}

void EngineProxy::accept_loop() {
  pollfd fds[2] = {{m_listener, POLLIN, 0}, {m_wake[0], POLLIN, 0}};
  while (!m_stopping) {
    if (::poll(fds, 2, -1) < 0 || fds[1].revents != 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      continue;
    }
    std::lock_guard lock(m_mutex);
    m_open.push_back(client);
    m_threads.emplace_back([this, client] { serve(client); });
  }
}

void EngineProxy::serve(int client) {
  std::string received;
  char buffer[4096];
  size_t end = std::string::npos;
  while ((end = received.find("\r\n\r\n")) == std::string::npos && received.size() < k_max_head) {
    ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
    if (n <= 0) {
      break;
    }
    received.append(buffer, static_cast<size_t>(n));
  }
  if (end != std::string::npos) {
    std::string head = received.substr(0, end + 4);
    std::string rest = received.substr(end + 4);
    if (!answer_if_asked(client, head, rest)) {
      sockaddr_un address = address_of(m_engine_socket);
      int engine = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (engine >= 0 &&
          ::connect(engine, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
          write_all(engine, received.data(), received.size())) {
        {
          std::lock_guard lock(m_mutex);
          m_open.push_back(engine);
        }
        pump(client, engine);
      }
      if (engine >= 0) {
        std::lock_guard lock(m_mutex);
        m_open.erase(std::remove(m_open.begin(), m_open.end(), engine), m_open.end());
        ::close(engine);
      }
    }
  }
  std::lock_guard lock(m_mutex);
  m_open.erase(std::remove(m_open.begin(), m_open.end(), client), m_open.end());
  ::close(client);
}

bool EngineProxy::answer_if_asked(int client, const std::string& head, std::string& rest) {
  Rule rule;
  {
    std::lock_guard lock(m_mutex);
    auto it = std::find_if(m_rules.begin(), m_rules.end(),
                           [&](const Rule& r) { return head.rfind(r.request, 0) == 0; });
    if (it == m_rules.end()) {
      return false;
    }
    rule = *it;
  }
  // Read the request's body first, so the client is not cut off while it sends it.
  std::string length = header(head, "content-length");
  size_t body_size = length.empty() ? 0 : std::stoul(length);
  char buffer[4096];
  while (rest.size() < body_size) {
    ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
    if (n <= 0) {
      break;
    }
    rest.append(buffer, static_cast<size_t>(n));
  }
  std::string response = "HTTP/1.1 " + std::to_string(rule.status) +
                         " Proxied\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(rule.body.size()) + "\r\nConnection: close\r\n\r\n" +
                         rule.body;
  write_all(client, response.data(), response.size());
  ++m_answered;
  return true;
}

}  // namespace sccache::test::docker
