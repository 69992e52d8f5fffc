// Transport interface: an HTTP-like request/response server with routes, and a client with
// connection reuse and streamed bodies. The wire format on top (JSON control messages, raw
// streams for blobs) is described in docs/wire-protocol.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sccache/host_context.hpp"

namespace sccache {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; nullopt if absent.
std::optional<std::string_view> find_header(const HeaderList& headers, std::string_view name);

// ---- error replies ---------------------------------------------------------------------------

// Every error response (4xx, 5xx) carries this body (docs/wire-protocol.md, "Errors"):
//   {"error": {"code": "no_capacity", "message": "...", "retryable": true}}
// `code` is for programs (snake_case; a receiver treats an unknown code by its HTTP status),
// `message` for people (never a secret), `retryable` says whether the same request may succeed
// on another server or later.
struct ErrorReply {
  std::string code;
  std::string message;
  bool retryable = false;
};
std::string error_reply_json(const ErrorReply& error);
// The error of a response body; nullopt when the body is no error reply (an older peer, a proxy).
std::optional<ErrorReply> parse_error_reply(std::string_view body);

// A connection, TLS or protocol failure (never an HTTP error status, which is a response).
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~TransportError() override;
};

// ---- server side -----------------------------------------------------------------------------

// One incoming request. Valid only during the handler call.
class ServerRequest {
 public:
  virtual ~ServerRequest();
  virtual const std::string& method() const = 0;
  virtual const std::string& path() const = 0;   // without the query string
  virtual const std::string& query() const = 0;  // after '?', undecoded
  virtual const HeaderList& headers() const = 0;
  virtual const std::string& peer_address() const = 0;  // "ip:port"
  virtual int64_t content_length() const = 0;           // -1 if unknown (chunked)
  // The body, limited to the server's max_body_bytes (reading past it throws BodyTooLarge).
  virtual std::istream& body() = 0;
  // Reads the whole body; throws BodyTooLarge past `limit` or the server's limit.
  std::string read_body(uint64_t limit);
  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers(), name);
  }
};

class BodyTooLarge : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~BodyTooLarge() override;
};

// The response to one request: call exactly one of send() or stream().
class ServerResponse {
 public:
  virtual ~ServerResponse();
  virtual void send(int status, std::string_view content_type, std::string_view body,
                    const HeaderList& extra_headers = {}) = 0;
  // Starts a chunked response and returns the body stream; the response ends when the handler
  // returns.
  virtual std::ostream& stream(int status, std::string_view content_type,
                               const HeaderList& extra_headers = {}) = 0;
  virtual bool sent() const = 0;
};

// A handler runs on a server worker thread and may run concurrently with other handlers.
// An exception escaping it becomes a 500 (BodyTooLarge: 413) and is logged; the server goes on.
using RouteHandler = std::function<void(ServerRequest&, ServerResponse&)>;

struct TlsIdentity {
  std::string certificate_pem;
  std::string certificate_sha256;  // lowercase hex SHA-256 of the DER certificate
};

struct ServerOptions {
  std::string bind_host = "0.0.0.0";
  uint16_t port = 0;  // 0: pick a free port (see TransportServer::port())
  unsigned worker_threads = 16;
  unsigned max_queued_connections = 64;
  uint64_t max_body_bytes = 64ull << 20;
  std::chrono::seconds io_timeout{60};
  std::chrono::seconds keep_alive_timeout{30};
  unsigned max_keep_alive_requests = 1000;
  // TLS with a freshly generated ECDSA P-256 key and self-signed certificate; the names (IP
  // addresses or DNS names) go into the certificate's subjectAltName.
  bool tls = false;
  std::vector<std::string> tls_names;
  // With tls: serve an operator's certificate instead (PEM, the server's first, then any
  // intermediates) with its unencrypted PEM private key; tls_names are then unused. start()
  // throws TransportError naming the file if either cannot be used.
  std::filesystem::path tls_certificate_file;
  std::filesystem::path tls_key_file;
};

class TransportServer {
 public:
  virtual ~TransportServer();
  // Routes match by method and exact path, or by path prefix when `path` ends with '/'.
  // Call before start(). Unmatched requests get 404 (405 for a known path, wrong method).
  virtual void add_route(std::string method, std::string path, RouteHandler handler) = 0;
  virtual void start() = 0;           // throws TransportError if it cannot bind
  virtual void stop() = 0;            // stops accepting, waits for running handlers; idempotent
  virtual uint16_t port() const = 0;  // the bound port, after start()
  virtual std::optional<TlsIdentity> tls_identity() const = 0;
};

// ---- client side -----------------------------------------------------------------------------

struct Endpoint {
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  // With tls: the only certificate accepted (lowercase hex SHA-256 of its DER form); build
  // servers have self-signed certificates whose fingerprint comes from the scheduler. Empty: the
  // certificate must chain to the system's trusted CAs and name `host` (a scheduler behind a
  // TLS reverse proxy).
  std::string pinned_sha256;

  std::string to_string() const;  // "http://host:port"
};

struct ClientRequest {
  std::string method = "GET";
  std::string path = "/";
  HeaderList headers;
  std::string content_type;
  std::string body;  // used when body_writer is empty
  // Streams the body (chunked transfer encoding) instead of `body`.
  std::function<void(std::ostream&)> body_writer;
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

struct ClientResponse {
  int status = 0;
  HeaderList headers;
  std::string body;  // empty when a body_reader consumed it
  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  uint64_t max_response_bytes = 1ull << 30;
  // The CAs a CA-verified endpoint (no pin) must chain to, as SSL_CERT_FILE and SSL_CERT_DIR name
  // them; empty: OpenSSL's defaults for this process. A long-lived process serving requests from
  // other environments (the client's local server) passes each request's.
  std::filesystem::path ca_file;
  std::filesystem::path ca_dir;
};

// Thread-safe; keeps idle connections per endpoint for reuse.
class TransportClient {
 public:
  virtual ~TransportClient();
  // Throws TransportError on connect, TLS (including a pin mismatch) or I/O failure.
  virtual ClientResponse send(const Endpoint& endpoint, const ClientRequest& request) = 0;
  // As send(), but the response body goes to `body_reader` instead of ClientResponse::body.
  virtual ClientResponse send(const Endpoint& endpoint, const ClientRequest& request,
                              const std::function<void(std::istream&)>& body_reader) = 0;
};

class TransportFactory {
 public:
  virtual ~TransportFactory();
  virtual std::unique_ptr<TransportServer> create_server(std::string_view type,
                                                         const ServerOptions& options,
                                                         HostContext& host) const = 0;
  virtual std::unique_ptr<TransportClient> create_client(std::string_view type,
                                                         const ClientOptions& options,
                                                         HostContext& host) const = 0;
};

}  // namespace sccache
