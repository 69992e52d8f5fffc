#include "support/slow_peers.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <netinet/in.h>
#include <poll.h>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>

namespace sccache::test {

int connect_from(const std::string& from, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, from.c_str(), &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

namespace {
// What each connection trickles: a request head that never ends.
constexpr std::string_view k_head = "POST /api/v2/jobs/alloc HTTP/1.1\r\nHost: x\r\nX-Pad: ";
}  // namespace

Slowloris::Slowloris(std::vector<std::string> addresses, std::vector<uint16_t> ports,
                     int per_address) {
  for (const auto& from : addresses) {
    for (uint16_t port : ports) {
      for (int i = 0; i < per_address; ++i) {
        m_peers.push_back({from, port});
      }
    }
  }
  for (auto& peer : m_peers) {
    connect(peer);
  }
  m_thread = std::thread([this] { run(); });
}

Slowloris::~Slowloris() {
  m_stop = true;
  m_thread.join();
  for (auto& peer : m_peers) {
    if (peer.fd >= 0) {
      ::close(peer.fd);
    }
  }
}

void Slowloris::connect(Peer& peer) {
  peer.fd = connect_from(peer.from, peer.port);
  peer.sent = 0;
  if (peer.fd >= 0) {
    ++m_open;
  }
}

void Slowloris::run() {
  while (!m_stop) {
    for (auto& peer : m_peers) {
      if (peer.fd >= 0) {
        pollfd p{peer.fd, POLLIN | POLLRDHUP, 0};
        char sink[512];
        if (::poll(&p, 1, 0) == 1 && ::recv(peer.fd, sink, sizeof sink, MSG_DONTWAIT) <= 0) {
          ::close(peer.fd);  // cut by the server: come back at once, as an attacker does
          peer.fd = -1;
          --m_open;
          ++m_reopened;
        }
      }
      if (peer.fd < 0) {
        connect(peer);
        continue;
      }
      const char byte = peer.sent < k_head.size() ? k_head[peer.sent] : 'x';
      if (::send(peer.fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) {
        ++peer.sent;
      }
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));  // the attack's pace, not a handshake
  }
}

}  // namespace sccache::test
