// transport-http over plain HTTP: routing, keep-alive, streaming, limits, failures.
#include <arpa/inet.h>
#include <atomic>
#include <fstream>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <set>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "plugins/transport_http/transport_fixture.hpp"
#include "transport-http/connection_guard.hpp"

using namespace transport_test;
using sccache::transport_http::ConnectionGuard;

TEST_CASE("plain HTTP round trip, routing, 404 and 405") {
  Env env;
  auto server = env.server();
  std::mutex mutex;
  std::string seen_query, seen_path, seen_header, seen_peer, seen_type;
  int64_t seen_length = -2;
  server->add_route("GET", "/hello", [&](ServerRequest& req, ServerResponse& res) {
    std::lock_guard lock(mutex);
    seen_query = req.query();
    seen_path = req.path();
    seen_header = std::string(req.header("x-test").value_or("<none>"));
    seen_peer = req.peer_address();
    res.send(200, "text/plain", "hi", {{"X-Reply", "yes"}});
  });
  server->add_route("POST", "/echo", [&](ServerRequest& req, ServerResponse& res) {
    {
      std::lock_guard lock(mutex);
      seen_length = req.content_length();
      seen_type = std::string(req.header("Content-Type").value_or(""));
    }
    res.send(200, "application/octet-stream", req.read_body(1 << 20));
  });
  server->add_route("GET", "/blob/", [](ServerRequest& req, ServerResponse& res) {
    res.send(200, "text/plain", "prefix:" + req.path());
  });
  server->add_route("GET", "/blob/special", [](ServerRequest&, ServerResponse& res) {
    res.send(200, "text/plain", "exact");
  });
  server->start();
  REQUIRE(server->port() != 0);
  CHECK_FALSE(server->tls_identity().has_value());
  auto client = env.client();
  Endpoint endpoint = local(*server);

  ClientRequest get = request("GET", "/hello?x=1&y=two");
  get.headers = {{"X-Test", "abc"}};
  ClientResponse r = client->send(endpoint, get);
  CHECK(r.status == 200);
  CHECK(r.body == "hi");
  CHECK(r.header("x-reply") == std::optional<std::string_view>("yes"));
  {
    std::lock_guard lock(mutex);
    CHECK(seen_query == "x=1&y=two");
    CHECK(seen_path == "/hello");
    CHECK(seen_header == "abc");
    CHECK(seen_peer.rfind("127.0.0.1:", 0) == 0);
  }

  ClientRequest post = request("POST", "/echo", "hello world");
  post.content_type = "text/plain";
  r = client->send(endpoint, post);
  CHECK(r.status == 200);
  CHECK(r.body == "hello world");
  {
    std::lock_guard lock(mutex);
    CHECK(seen_length == 11);
    CHECK(seen_type == "text/plain");
  }

  r = client->send(endpoint, request("GET", "/nope"));
  CHECK(r.status == 404);
  CHECK(r.header("Content-Type").value_or("").find("application/json") == 0);
  CHECK(r.body.find("\"error\"") != std::string::npos);

  r = client->send(endpoint, request("POST", "/hello", "x"));
  CHECK(r.status == 405);
  CHECK(r.header("Allow") == std::optional<std::string_view>("GET"));
  CHECK(r.body.find("\"error\"") != std::string::npos);

  CHECK(client->send(endpoint, request("GET", "/blob/abc/d")).body == "prefix:/blob/abc/d");
  CHECK(client->send(endpoint, request("GET", "/blob/special")).body == "exact");
  CHECK(client->send(endpoint, request("GET", "/blob")).status == 404);

  CHECK_THROWS_AS(factory().create_server("grpc", {}, *env.host), std::invalid_argument);
  CHECK_THROWS_AS(factory().create_client("grpc", {}, *env.host), std::invalid_argument);
}

TEST_CASE("sequential requests reuse one keep-alive connection") {
  Env env;
  auto server = env.server();
  std::mutex mutex;
  std::set<std::string> peers;
  server->add_route("POST", "/count", [&](ServerRequest& req, ServerResponse& res) {
    {
      std::lock_guard lock(mutex);
      peers.insert(req.peer_address());
    }
    res.send(200, "text/plain", req.read_body(1024));
  });
  server->start();
  auto client = env.client();
  for (int i = 0; i < 50; ++i) {
    ClientResponse r = client->send(local(*server), request("POST", "/count", std::to_string(i)));
    REQUIRE(r.status == 200);
    REQUIRE(r.body == std::to_string(i));
  }
  std::lock_guard lock(mutex);
  CHECK(peers.size() == 1);
}

namespace {

// The TCP states (as /proc/net/tcp numbers them: 1 established, 8 close-wait) of the IPv4
// sockets connected to `port` on the far side: the client's ends of its connections to a server.
std::vector<int> client_socket_states(uint16_t port) {
  std::vector<int> states;
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);  // the header
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, local_address, remote_address, state;
    fields >> slot >> local_address >> remote_address >> state;
    const size_t colon = remote_address.find(':');
    if (colon != std::string::npos &&
        std::stoul(remote_address.substr(colon + 1), nullptr, 16) == port) {
      states.push_back(std::stoi(state, nullptr, 16));
    }
  }
  return states;
}

constexpr int k_tcp_established = 1;
constexpr int k_tcp_close_wait = 8;

}  // namespace

TEST_CASE("a connection the server closed while idle is not a failure") {
  Env env;
  sccache::ServerOptions options;
  options.keep_alive_timeout = 1s;
  auto server = env.server(options);
  add_ping(*server);
  server->start();
  auto client = env.client();
  expect_ping(*client, local(*server));
  // The client keeps its connection for reuse...
  REQUIRE(client_socket_states(server->port()) == std::vector<int>{k_tcp_established});
  // ...until the server closes it, idle past keep_alive_timeout: the client's end is then in
  // CLOSE_WAIT, and the next request must notice and connect again.
  REQUIRE(sccache::test::wait_until(
      [&] { return client_socket_states(server->port()) == std::vector<int>{k_tcp_close_wait}; },
      10s));
  expect_ping(*client, local(*server));
}

TEST_CASE("streamed request and response bodies, concurrently") {
  Env env;
  auto server = env.server();
  std::atomic<int> sized_uploads{0};
  server->add_route("POST", "/upload", [&](ServerRequest& req, ServerResponse& res) {
    if (req.content_length() != -1) {  // chunked: unknown
      ++sized_uploads;
    }
    res.send(200, "text/plain", digest_stream(req.body()).text());
  });
  server->add_route("GET", "/download", [](ServerRequest& req, ServerResponse& res) {
    // query: "<seed>/<size>"
    const std::string& q = req.query();
    uint64_t seed = std::stoull(q.substr(0, q.find('/')));
    uint64_t size = std::stoull(q.substr(q.find('/') + 1));
    write_data(res.stream(200, "application/octet-stream"), seed, size);
  });
  server->start();
  auto client = env.client();
  Endpoint endpoint = local(*server);
  constexpr uint64_t k_big = 20ull << 20;

  ClientRequest upload = request("POST", "/upload");
  upload.body_writer = [&](std::ostream& out) { write_data(out, 7, k_big); };
  ClientResponse r = client->send(endpoint, upload);
  CHECK(r.status == 200);
  CHECK(r.body == expected_digest(7, k_big).text());

  Digest downloaded;
  r = client->send(endpoint, request("GET", "/download?9/" + std::to_string(k_big)),
                   [&](std::istream& in) { downloaded = digest_stream(in); });
  CHECK(r.status == 200);
  CHECK(r.header("Transfer-Encoding").value_or("") == "chunked");
  CHECK(r.body.empty());
  CHECK(downloaded.text() == expected_digest(9, k_big).text());

  r = client->send(endpoint, request("GET", "/download?3/100000"));
  std::ostringstream expected;
  write_data(expected, 3, 100000);
  CHECK(r.body == expected.str());

  constexpr int k_threads = 4;
  constexpr uint64_t k_size = 2ull << 20;
  std::vector<std::string> failures(k_threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int round = 0; round < 3; ++round) {
          uint64_t seed = static_cast<uint64_t>(100 + t * 10 + round);
          ClientRequest up = request("POST", "/upload");
          up.body_writer = [&](std::ostream& out) { write_data(out, seed, k_size); };
          ClientResponse ur = client->send(endpoint, up);
          if (ur.body != expected_digest(seed, k_size).text()) {
            failures[t] = "upload digest mismatch";
          }
          Digest d;
          client->send(
              endpoint,
              request("GET", "/download?" + std::to_string(seed) + "/" + std::to_string(k_size)),
              [&](std::istream& in) { d = digest_stream(in); });
          if (d.text() != expected_digest(seed, k_size).text()) {
            failures[t] = "download digest mismatch";
          }
        }
      } catch (const std::exception& e) {
        failures[t] = e.what();
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (const auto& failure : failures) {
    CHECK(failure.empty());
  }
  CHECK(sized_uploads == 0);
}

TEST_CASE("request bodies over max_body_bytes get 413") {
  Env env;
  sccache::ServerOptions options;
  options.max_body_bytes = 1024;
  auto server = env.server(options);
  std::atomic<int> calls{0};
  server->add_route("POST", "/sink", [&](ServerRequest& req, ServerResponse& res) {
    ++calls;
    std::string body = req.read_body(UINT64_MAX);
    res.send(200, "text/plain", std::to_string(body.size()));
  });
  add_ping(*server);
  server->start();
  auto client = env.client();
  Endpoint endpoint = local(*server);

  ClientResponse r = client->send(endpoint, request("POST", "/sink", std::string(4096, 'x')));
  CHECK(r.status == 413);
  CHECK(r.body.find("\"error\"") != std::string::npos);
  CHECK(calls == 0);

  ClientRequest chunked = request("POST", "/sink");
  chunked.body_writer = [](std::ostream& out) {
    for (int i = 0; i < 8; ++i) {
      out << std::string(512, 'y') << std::flush;
    }
  };
  r = client->send(endpoint, chunked);
  CHECK(r.status == 413);
  CHECK(calls == 1);

  r = client->send(endpoint, request("POST", "/sink", std::string(1024, 'z')));
  CHECK(r.status == 200);
  CHECK(r.body == "1024");
  expect_ping(*client, endpoint);
}

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

TEST_CASE("a throwing handler gives 500 and the server keeps serving") {
  Env env;
  auto server = env.server();
  server->add_route("GET", "/boom", [](ServerRequest&, ServerResponse&) {
    throw std::runtime_error("boom \"quoted\"");
  });
  server->add_route("GET", "/silent", [](ServerRequest&, ServerResponse&) {});
  server->add_route("GET", "/partial", [](ServerRequest&, ServerResponse& res) {
    std::ostream& out = res.stream(200, "application/octet-stream");
    out << std::string(100000, 'p') << std::flush;
    throw std::runtime_error("failed halfway");
  });
  add_ping(*server);
  server->start();
  auto client = env.client();
  Endpoint endpoint = local(*server);

  ClientResponse r = client->send(endpoint, request("GET", "/boom"));
  CHECK(r.status == 500);
  CHECK(r.header("Content-Type").value_or("").find("application/json") == 0);
  auto error = sccache::parse_error_reply(r.body);
  REQUIRE(error);
  CHECK(error->code == "internal");
  CHECK(error->message == "boom \"quoted\"");
  CHECK(error->retryable);
  expect_ping(*client, endpoint);

  CHECK(client->send(endpoint, request("GET", "/silent")).status == 500);
  // A response cut short is an error for the client, never a complete-looking body.
  CHECK_THROWS_AS(client->send(endpoint, request("GET", "/partial")), TransportError);
  expect_ping(*client, endpoint);
}

TEST_CASE("connecting to a closed port fails quickly") {
  Env env;
  sccache::ClientOptions options;
  options.connect_timeout = 2s;
  auto client = env.client(options);
  Endpoint endpoint{false, "127.0.0.1", sccache::test::free_port(), {}};
  auto started = std::chrono::steady_clock::now();
  try {
    client->send(endpoint, request("GET", "/ping"));
    FAIL("connected to a closed port");
  } catch (const TransportError& e) {
    CHECK(std::string(e.what()).find(endpoint.to_string()) != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - started < 3s);
}

TEST_CASE("stop() is idempotent and a stopped server refuses connections") {
  Env env;
  auto server = env.server();
  add_ping(*server);
  server->start();
  auto client = env.client();
  Endpoint endpoint = local(*server);
  expect_ping(*client, endpoint);
  CHECK_THROWS_AS(server->add_route("GET", "/late", [](ServerRequest&, ServerResponse&) {}),
                  std::logic_error);
  server->stop();
  server->stop();
  CHECK_THROWS_AS(client->send(endpoint, request("GET", "/ping")), TransportError);
  server.reset();
}

TEST_CASE("IPv6 loopback, when available") {
  Env env;
  sccache::ServerOptions options;
  options.bind_host = "::1";
  auto server = env.server(options);
  std::string peer;
  server->add_route("GET", "/peer", [&](ServerRequest& req, ServerResponse& res) {
    peer = req.peer_address();
    res.send(200, "text/plain", "ok");
  });
  try {
    server->start();
  } catch (const TransportError& e) {
    WARN("no IPv6 loopback here: " << e.what());
    return;
  }
  auto client = env.client();
  ClientResponse r =
      client->send(Endpoint{false, "::1", server->port(), {}}, request("GET", "/peer"));
  CHECK(r.status == 200);
  CHECK(peer.rfind("[::1]:", 0) == 0);
}

TEST_CASE("malformed body framing gets a 400 at once and the server keeps serving") {
  Env env;
  auto server = env.server();
  add_ping(*server);
  server->add_route("POST", "/echo", [](ServerRequest& req, ServerResponse& res) {
    res.send(200, "text/plain", req.read_body(1 << 20));
  });
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

// A plain TCP connection to 127.0.0.1:`port` from the loopback address `from` (127.0.0.x: another
// "machine" as far as per-peer limits go); -1 if it cannot connect.
int connect_from(const char* from, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, from, &local.sin_addr);
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
  server->add_route("POST", "/echo", [](ServerRequest& req, ServerResponse& res) {
    res.send(200, "text/plain", req.read_body(1 << 20));
  });
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
