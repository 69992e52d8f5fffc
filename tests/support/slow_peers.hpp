// Misbehaving network peers for tests: plain TCP connections from chosen loopback addresses
// (127.0.0.x: other "machines" as far as per-address limits go), and a slowloris that keeps
// request heads trickling in over many of them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace sccache::test {

// A TCP connection to 127.0.0.1:`port` from the loopback address `from`; -1 if it cannot connect.
int connect_from(const std::string& from, uint16_t port);

// Holds `per_address` connections from each of `addresses` to each port, sending one byte of a
// request head per connection every second and reopening every connection the server closes,
// as an attacker would, until destroyed. Threads: one of its own.
class Slowloris {
 public:
  Slowloris(std::vector<std::string> addresses, std::vector<uint16_t> ports, int per_address);
  ~Slowloris();
  Slowloris(const Slowloris&) = delete;
  Slowloris& operator=(const Slowloris&) = delete;

  // Connections open now, and how many the servers have closed so far.
  size_t open() const { return m_open; }
  uint64_t reopened() const { return m_reopened; }

 private:
  struct Peer {
    std::string from;
    uint16_t port;
    int fd = -1;
    size_t sent = 0;
  };
  void run();
  void connect(Peer& peer);

  std::vector<Peer> m_peers;
  std::atomic<bool> m_stop{false};
  std::atomic<size_t> m_open{0};
  std::atomic<uint64_t> m_reopened{0};
  std::thread m_thread;
};

}  // namespace sccache::test
