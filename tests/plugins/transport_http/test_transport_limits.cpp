// transport-http's limits against bad or hostile peers: header limits, malformed framing,
// trickled heads and bodies, per-address connection caps (the ConnectionGuard).
#include <arpa/inet.h>
#include <chrono>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "plugins/transport_http/transport_fixture.hpp"
#include "support/slow_peers.hpp"
#include "transport-http/connection_guard.hpp"

using namespace transport_test;
using sccache::test::connect_from;
using sccache::transport_http::ConnectionGuard;

namespace {

// POST /echo answers the request body.
void add_body_echo(sccache::TransportServer& server) {
  server.add_route("POST", "/echo", [](ServerRequest& req, ServerResponse& res) {
    res.send(200, "text/plain", req.read_body(1 << 20));
  });
}

}  // namespace

TEST_CASE("oversized or too many headers get a 4xx and the server keeps serving") {
  Env env;
  auto server = env.server();
  add_ping(*server);
  server->start();
  auto client = env.client();
  uint16_t port = server->port();

  std::string head = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  std::string many = head;
  for (int i = 0; i < 200; ++i) {
    many += "X-Field-" + std::to_string(i) + ": v\r\n";
  }
  int status = raw_status(port, many + "\r\n");
  CHECK(status >= 400);
  CHECK(status < 500);
  expect_ping(*client, local(*server));

  status = raw_status(port, head + "X-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  CHECK(status >= 400);
  CHECK(status < 500);
  expect_ping(*client, local(*server));

  std::string seventy = head;
  for (int i = 0; i < 70; ++i) {
    seventy += "X-Field-" + std::to_string(i) + ": v\r\n";
  }
  CHECK(raw_status(port, seventy + "\r\n") == 431);
  CHECK(raw_status(port, head + "\r\n") == 200);
  expect_ping(*client, local(*server));
}

TEST_CASE("malformed body framing gets a 400 at once and the server keeps serving") {
  Env env;
  auto server = env.server();
  add_ping(*server);
  add_body_echo(*server);
  server->start();
  auto client = env.client();
  const uint16_t port = server->port();
  const std::string head = "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  const std::string chunked = head + "Transfer-Encoding: chunked\r\n\r\n";
  std::string trailers = chunked + "5\r\nhello\r\n0\r\n";
  for (int i = 0; i < 100; ++i) {
    trailers += "X-Trailer-" + std::to_string(i) + ": v\r\n";
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Content-Length: -1", head + "Content-Length: -1\r\n\r\nhello"},
      {"Content-Length: abc", head + "Content-Length: abc\r\n\r\nhello"},
      {"Content-Length: 5, 6", head + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"},
      {"Transfer-Encoding: gzip", head + "Transfer-Encoding: gzip\r\n\r\nhello"},
      {"both framings", head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello"},
      {"chunk size of 20 hex digits", chunked + "ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"},
      {"negative chunk size", chunked + "-5\r\nhello\r\n0\r\n\r\n"},
      {"chunk without its CRLF", chunked + "5\r\nhelloXX\r\n0\r\n\r\n"},
      {"100 trailer fields", trailers + "\r\n"}};
  for (const auto& [what, bytes] : cases) {
    INFO(what);
    const auto start = std::chrono::steady_clock::now();
    CHECK(raw_status(port, bytes) == 400);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    expect_ping(*client, local(*server));
  }
  // Well-formed bodies of both framings still work.
  CHECK(raw_status(port, head + "Content-Length: 5\r\n\r\nhello") == 200);
  CHECK(raw_status(port, chunked + "5\r\nhello\r\n0\r\n\r\n") == 200);
}

namespace {

// Whether the server closed `fd` within `within` (a read gives 0 or an error), reading and
// discarding whatever it sent before.
bool closed_within(int fd, std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) == 1) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        return true;
      }
    }
  }
  return false;
}

bool send_all(int fd, const std::string& bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

}  // namespace

TEST_CASE("a head or a body trickled a byte at a time is cut at its deadline, not reset per byte") {
  Env env;
  auto server = env.server();
  add_ping(*server);
  add_body_echo(*server);
  server->start();
  const uint16_t port = server->port();
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  // One byte every 300 ms: each well within Poco's receive timeout, never a whole head or a
  // body's minimum rate.
  auto trickle = [&](const std::string& start, seconds limit) {
    const int fd = connect_from("127.0.0.3", port);
    REQUIRE(fd >= 0);
    REQUIRE(send_all(fd, start));
    const auto began = std::chrono::steady_clock::now();
    bool cut = false;
    while (!cut && std::chrono::steady_clock::now() - began < limit + seconds(5)) {
      if (!send_all(fd, "a")) {
        cut = true;
        break;
      }
      cut = closed_within(fd, milliseconds(300));
    }
    ::close(fd);
    CHECK(cut);
    return std::chrono::steady_clock::now() - began;
  };
  std::chrono::steady_clock::duration head_time{}, body_time{};
  std::thread head([&] {
    head_time =
        trickle("GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ", ConnectionGuard::k_head_timeout);
  });
  std::thread body([&] {
    body_time = trickle("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n",
                        2 * ConnectionGuard::k_body_window);
  });
  head.join();
  body.join();
  CHECK(head_time < ConnectionGuard::k_head_timeout + seconds(2));
  CHECK(head_time > ConnectionGuard::k_head_timeout - seconds(1));
  CHECK(body_time < 2 * ConnectionGuard::k_body_window + seconds(2));
  auto client = env.client();
  expect_ping(*client, local(*server));
}

TEST_CASE("one address's connections are capped; others are served during its slowloris") {
  Env env;
  auto server = env.server();
  add_ping(*server);
  server->start();
  const uint16_t port = server->port();
  // 500 connections from one "machine", each sending half a request head and nothing more.
  std::vector<int> attack;
  for (int i = 0; i < 500; ++i) {
    const int fd = connect_from("127.0.0.2", port);
    if (fd >= 0) {
      send_all(fd, "GET /ping HTTP/1.1\r\nHost: x\r\n");
      attack.push_back(fd);
    }
  }
  REQUIRE(attack.size() == 500);  // the kernel accepts them all; the server closes the excess
  // Once every refusal has arrived, exactly the cap stays open.
  size_t closed = 0;
  REQUIRE(sccache::test::wait_until(
      [&] {
        closed = 0;
        for (int fd : attack) {
          pollfd p{fd, POLLIN | POLLRDHUP, 0};
          closed += ::poll(&p, 1, 0) == 1 ? 1 : 0;
        }
        return closed == attack.size() - ConnectionGuard::k_max_per_peer;
      },
      std::chrono::seconds(5)));
  // Another machine is served at once, several times over, while the attack holds its share.
  auto client = env.client();
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    expect_ping(*client, local(*server));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  }
  for (int fd : attack) {
    ::close(fd);
  }
}
