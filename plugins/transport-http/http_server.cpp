// TransportServer over Poco::Net::HTTPServer, with its own thread pool.
//
// Every request goes through one Poco handler (Dispatcher) that applies the header and body
// limits, routes, runs the route handler and turns its exceptions into JSON error responses.
// Poco itself answers 400 to requests it cannot parse (including more than 100 header fields, a
// field name over 256 bytes or a value over 8 KiB) and then closes that connection.
#include "transport-http/http_server.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "transport-http/router.hpp"
#include "transport-http/server_exchange.hpp"
#include "transport-http/tls_identity.hpp"

namespace sccache::transport_http {
namespace {

constexpr size_t k_max_header_fields = 64;
constexpr size_t k_max_header_bytes = 64 * 1024;
// Unread request body the server reads and discards to keep a connection alive.
constexpr uint64_t k_max_skipped_body = 256 * 1024;
// Unread request body the server reads and discards before closing a connection, so that the
// client can finish sending and read the (error) response.
constexpr uint64_t k_max_drained_body = 8 * 1024 * 1024;
constexpr std::chrono::milliseconds k_max_drain_time{2000};

// What the Poco handlers share with the server object; immutable once started, except `stopping`.
struct ServerState {
  Router router;
  uint64_t max_body_bytes = 0;
  std::shared_ptr<spdlog::logger> log;
  std::atomic<bool> stopping{false};
};

class Dispatcher final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Dispatcher(std::shared_ptr<const ServerState> state) : m_state(std::move(state)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& poco_request,
                     Poco::Net::HTTPServerResponse& poco_response) override {
    // Poco's HTTPServerConnection always passes its HTTPServerRequestImpl.
    auto& impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(poco_request);
    RequestAdaptor request(impl, m_state->max_body_bytes);
    ResponseAdaptor response(poco_response);
    if (m_state->stopping) {
      response.close_connection();
    }
    try {
      dispatch(request, response);
    } catch (const BodyTooLarge& e) {
      fail(request, response, 413, e.what());
    } catch (const std::exception& e) {
      fail(request, response, 500, e.what());
    } catch (...) {
      fail(request, response, 500, "unknown exception");
    }
    if (!request.finish_body(k_max_skipped_body)) {
      response.close_connection();
      if (response.body_stream() == nullptr) {  // a streamed response ends after this returns
        request.drain_before_close(k_max_drained_body, k_max_drain_time);
      }
    }
    if (std::ostream* out = response.body_stream(); out != nullptr && !out->flush()) {
      m_state->log->debug("{} {} from {}: the client went away during the response",
                          request.method(), request.path(), request.peer_address());
    }
  }

 private:
  void dispatch(RequestAdaptor& request, ResponseAdaptor& response) {
    if (request.headers().size() > k_max_header_fields ||
        request.header_bytes() > k_max_header_bytes) {
      reply_error(request, response, 431,
                  fmt::format("more than {} header fields or {} bytes of headers",
                              k_max_header_fields, k_max_header_bytes));
      return;
    }
    Router::Match match = m_state->router.match(request.method(), request.path());
    if (match.handler == nullptr) {
      if (match.path_known) {
        reply_error(request, response, 405,
                    fmt::format("method {} not allowed for {}", request.method(), request.path()),
                    {{"Allow", match.allow}});
      } else {
        reply_error(request, response, 404, fmt::format("no route for {}", request.path()));
      }
      return;
    }
    if (request.content_length() > 0 &&
        static_cast<uint64_t>(request.content_length()) > m_state->max_body_bytes) {
      reply_error(request, response, 413,
                  fmt::format("request body of {} bytes exceeds the limit of {} bytes",
                              request.content_length(), m_state->max_body_bytes));
      return;
    }
    (*match.handler)(request, response);
    if (!response.sent()) {
      throw std::logic_error("the handler returned without sending a response");
    }
  }

  // An error response the server makes itself (limits, routing, a failed handler).
  static void reply_error(RequestAdaptor& request, ResponseAdaptor& response, int status,
                          const std::string& message, const HeaderList& extra = {}) {
    if (!request.finish_body(k_max_skipped_body)) {
      response.close_connection();
    }
    response.send(status, "application/json",
                  error_reply_json({std::string(error_code_of(status)), message, status >= 500}),
                  extra);
  }

  // The codes of the errors the server makes itself (docs/wire-protocol.md, "Errors").
  static std::string_view error_code_of(int status) {
    switch (status) {
      case 404:
        return "not_found";
      case 405:
        return "method_not_allowed";
      case 413:
        return "body_too_large";
      case 400:
        return "bad_request";
      default:
        return "internal";
    }
  }

  void fail(RequestAdaptor& request, ResponseAdaptor& response, int status,
            const std::string& message) noexcept {
    try {
      m_state->log->log(status == 413 ? spdlog::level::warn : spdlog::level::err,
                        "{} {} from {}: {} (status {})", request.method(), request.path(),
                        request.peer_address(), message, status);
      if (response.sent()) {
        // Part of the response is out: cut the connection so the client sees it incomplete.
        response.close_connection();
        request.abort_connection();
        return;
      }
      reply_error(request, response, status, message);
    } catch (...) {
      request.abort_connection();
    }
  }

  std::shared_ptr<const ServerState> m_state;
};

class DispatcherFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit DispatcherFactory(std::shared_ptr<const ServerState> state)
      : m_state(std::move(state)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Dispatcher(m_state);
  }

 private:
  std::shared_ptr<const ServerState> m_state;
};

// Threads: add_route() and start() from one thread before serving; stop() from any thread but a
// handler's (it waits for the handlers).
class HttpServer final : public TransportServer {
 public:
  HttpServer(const ServerOptions& options, HostContext& host)
      : m_options(options), m_state(std::make_shared<ServerState>()) {
    m_state->max_body_bytes = options.max_body_bytes;
    m_state->log = host.logger("transport-http");
  }

  ~HttpServer() override { stop(); }

  void add_route(std::string method, std::string path, RouteHandler handler) override {
    std::lock_guard lock(m_mutex);
    if (m_started) {
      throw std::logic_error("add_route() after start()");
    }
    m_state->router.add(std::move(method), std::move(path), std::move(handler));
  }

  void start() override;
  void stop() override;

  uint16_t port() const override {
    std::lock_guard lock(m_mutex);
    return m_port;
  }

  std::optional<TlsIdentity> tls_identity() const override {
    std::lock_guard lock(m_mutex);
    return m_identity;
  }

 private:
  Poco::Net::ServerSocket listen();

  const ServerOptions m_options;
  std::shared_ptr<ServerState> m_state;
  mutable std::mutex m_mutex;
  bool m_started = false;
  uint16_t m_port = 0;
  std::optional<TlsIdentity> m_identity;
  Poco::Net::ServerSocket m_socket;
  // Declared before m_server: the pool must outlive the server using it.
  std::unique_ptr<Poco::ThreadPool> m_pool;
  std::unique_ptr<Poco::Net::HTTPServer> m_server;
};

Poco::Net::ServerSocket HttpServer::listen() {
  std::string where = fmt::format("{}:{}", m_options.bind_host, m_options.port);
  Poco::Net::ServerSocket socket;
  if (m_options.tls) {
    ServerTlsMaterial material =
        m_options.tls_certificate_file.empty()
            ? generate_tls_identity(m_options.tls_names)
            : load_tls_identity(m_options.tls_certificate_file, m_options.tls_key_file);
    socket = Poco::Net::SecureServerSocket(make_server_context(material));
    m_identity = material.identity;
  }
  try {
    Poco::Net::SocketAddress address(m_options.bind_host, m_options.port);
    socket.bind(address, /*reuseAddress=*/true);
    socket.listen(static_cast<int>(std::max(64u, m_options.max_queued_connections)));
  } catch (const Poco::Exception& e) {
    m_identity.reset();
    throw TransportError(fmt::format("cannot listen on {}: {}", where, e.displayText()));
  }
  return socket;
}

void HttpServer::start() {
  std::lock_guard lock(m_mutex);
  if (m_started) {
    throw std::logic_error("the server was already started");
  }
  m_socket = listen();
  unsigned workers = std::max(1u, m_options.worker_threads);
  auto params = Poco::makeAuto<Poco::Net::HTTPServerParams>();
  params->setMaxThreads(static_cast<int>(workers));
  params->setMaxQueued(static_cast<int>(std::max(1u, m_options.max_queued_connections)));
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(m_options.keep_alive_timeout.count(), 0));
  params->setMaxKeepAliveRequests(static_cast<int>(m_options.max_keep_alive_requests));
  params->setTimeout(Poco::Timespan(m_options.io_timeout.count(), 0));
  try {
    m_pool = std::make_unique<Poco::ThreadPool>("transport-http", 1, static_cast<int>(workers));
    m_server = std::make_unique<Poco::Net::HTTPServer>(Poco::makeShared<DispatcherFactory>(m_state),
                                                       *m_pool, m_socket, params);
    m_server->start();
    m_port = m_socket.address().port();
  } catch (const Poco::Exception& e) {
    m_server.reset();
    m_pool.reset();
    m_socket.close();
    throw TransportError(fmt::format("cannot start the HTTP server on {}:{}: {}",
                                     m_options.bind_host, m_options.port, e.displayText()));
  }
  m_started = true;
  m_state->log->debug("listening on {}:{}{}", m_options.bind_host, m_port,
                      m_options.tls ? " (TLS)" : "");
}

void HttpServer::stop() {
  std::lock_guard lock(m_mutex);
  if (!m_server) {
    return;
  }
  m_state->stopping = true;
  try {
    // Stops accepting, lets each connection finish its current request, then closes them.
    m_server->stopAll(false);
    m_pool->joinAll();
  } catch (const Poco::Exception& e) {
    m_state->log->warn("stopping the HTTP server: {}", e.displayText());
  }
  m_server.reset();
  try {
    m_socket.close();  // the server kept it open: without this, connects would still succeed
  } catch (const Poco::Exception&) {
    // Already closed.
  }
}

}  // namespace

std::unique_ptr<TransportServer> make_http_server(const ServerOptions& options, HostContext& host) {
  return std::make_unique<HttpServer>(options, host);
}

}  // namespace sccache::transport_http
