// transport-http over plain HTTP: routing, keep-alive, streaming, body limits, failures
// (limits against bad peers: test_transport_limits.cpp).
#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "plugins/transport_http/transport_fixture.hpp"

using namespace transport_test;

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
