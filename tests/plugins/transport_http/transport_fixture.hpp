// Shared by the transport-http tests: a host and factory, request helpers, deterministic data
// with a digest to compare streams by, and a raw-socket probe.
#pragma once

#include <chrono>
#include <memory>
#include <regex>
#include <string>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <catch2/catch.hpp>

#include "sccache/transport.hpp"

#include "support/test_support.hpp"
#include "transport-http/http_transport.hpp"

namespace transport_test {

using namespace std::chrono_literals;
using sccache::ClientRequest;
using sccache::ClientResponse;
using sccache::Endpoint;
using sccache::ServerRequest;
using sccache::ServerResponse;
using sccache::TransportError;

inline const sccache::TransportFactory& factory() {
  return *static_cast<const sccache::TransportFactory*>(
      sccache::transport_http::descriptor()->factory);
}

struct Env {
  sccache::test::TempDir temp{"transport-http"};
  std::unique_ptr<sccache::HostContext> host =
      sccache::make_default_host_context(sccache::AppRole::tool, temp.path());

  std::unique_ptr<sccache::TransportServer> server(sccache::ServerOptions options = {}) {
    if (options.bind_host == "0.0.0.0") {
      options.bind_host = "127.0.0.1";
    }
    options.worker_threads = std::min(options.worker_threads, 8u);
    return factory().create_server("http", options, *host);
  }
  std::unique_ptr<sccache::TransportClient> client(sccache::ClientOptions options = {}) {
    return factory().create_client("http", options, *host);
  }
};

inline Endpoint local(const sccache::TransportServer& server) {
  return Endpoint{false, "127.0.0.1", server.port(), {}};
}

inline ClientRequest request(std::string method, std::string path, std::string body = {}) {
  ClientRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  r.timeout = 20s;
  return r;
}

// Deterministic test data and a hash to compare it by.
inline char data_byte(uint64_t seed, uint64_t i) {
  return static_cast<char>((seed * 131 + i * 7 + (i >> 9) * 13) & 0xff);
}

struct Digest {
  uint64_t size = 0;
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  void add(const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      hash = (hash ^ static_cast<unsigned char>(p[i])) * 1099511628211ull;
    }
    size += n;
  }
  std::string text() const { return std::to_string(size) + ":" + std::to_string(hash); }
};

inline void write_data(std::ostream& out, uint64_t seed, uint64_t size) {
  std::string block;
  for (uint64_t done = 0; done < size;) {
    uint64_t n = std::min<uint64_t>(64 * 1024, size - done);
    block.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
      block[i] = data_byte(seed, done + i);
    }
    out.write(block.data(), static_cast<std::streamsize>(n));
    done += n;
  }
}

inline Digest expected_digest(uint64_t seed, uint64_t size) {
  Digest d;
  for (uint64_t i = 0; i < size; ++i) {
    char c = data_byte(seed, i);
    d.add(&c, 1);
  }
  return d;
}

inline Digest digest_stream(std::istream& in) {
  Digest d;
  char buffer[32 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    d.add(buffer, static_cast<size_t>(in.gcount()));
  }
  return d;
}

// Sends raw bytes on a plain socket; returns the status code of the reply (0 if none).
inline int raw_status(uint16_t port, const std::string& bytes) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
  socket.setReceiveTimeout(Poco::Timespan(10, 0));
  socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string reply;
  char buffer[4096];
  try {
    while (reply.find("\r\n\r\n") == std::string::npos) {
      int n = socket.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) {
        break;
      }
      reply.append(buffer, static_cast<size_t>(n));
    }
  } catch (const Poco::Exception&) {
    // A reset after the reply: what was read counts.
  }
  std::smatch m;
  if (std::regex_search(reply, m, std::regex("^HTTP/1\\.[01] (\\d{3})"))) {
    return std::stoi(m[1]);
  }
  return 0;
}

inline void add_ping(sccache::TransportServer& server) {
  server.add_route("GET", "/ping", [](ServerRequest&, ServerResponse& res) {
    res.send(200, "text/plain", "pong");
  });
}

inline void expect_ping(sccache::TransportClient& client, const Endpoint& endpoint) {
  ClientResponse r = client.send(endpoint, request("GET", "/ping"));
  CHECK(r.status == 200);
  CHECK(r.body == "pong");
}

}  // namespace transport_test
