// TransportServer over Poco's HTTP server connections on a TCPServer, with its own thread pool
// and a ConnectionGuard (connection_guard.hpp) for the limits Poco's timeouts cannot give.
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
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/ThreadPool.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "transport-http/connection_guard.hpp"
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
    ConnectionGuard::Watch* watch = ConnectionGuard::Watch::current();
    if (watch != nullptr) {
      watch->request_started();
    }
    struct EndOfRequest {
      ConnectionGuard::Watch* watch;
      ~EndOfRequest() {
        if (watch != nullptr) {
          watch->request_ended();
        }
      }
    } end_of_request{watch};
    RequestAdaptor request(impl, m_state->max_body_bytes);
    ResponseAdaptor response(poco_response);
    if (m_state->stopping) {
      response.close_connection();
    }
    try {
      dispatch(request, response);
    } catch (const BodyTooLarge& e) {
      fail(request, response, 413, e.what());
    } catch (const MalformedBody& e) {
      fail(request, response, 400, e.what());
    } catch (const std::exception& e) {
      fail(request, response, 500, e.what());
    } catch (...) {
      fail(request, response, 500, "unknown exception");
    }
    if (!request.finish_body(k_max_skipped_body)) {
      response.close_connection();
      // A streamed response ends after this returns; a request without trustworthy framing
      // has no body end to wait for.
      if (response.body_stream() == nullptr && request.framing_error().empty()) {
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
    if (!request.framing_error().empty()) {
      reply_error(request, response, 400,
                  fmt::format("malformed request framing: {}", request.framing_error()));
      return;
    }
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
      m_state->log->log(status < 500 ? spdlog::level::warn : spdlog::level::err,
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

// Poco's answer to a request it cannot parse, as HTTPServerConnection gives it.
void send_bad_request(Poco::Net::HTTPServerSession& session) {
  try {
    Poco::Net::HTTPServerResponseImpl response(session);
    response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
    response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_BAD_REQUEST);
    response.setKeepAlive(false);
    response.send();
  } catch (const Poco::Exception&) {
    // The peer is gone: nothing to answer.
  }
  session.setKeepAlive(false);
}

// Poco's HTTP connection, watched by the guard for as long as it runs.
class GuardedConnection final : public Poco::Net::TCPServerConnection {
 public:
  GuardedConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                    Poco::Net::HTTPRequestHandlerFactory::Ptr factory, ConnectionGuard& guard)
      : Poco::Net::TCPServerConnection(socket),
        m_params(std::move(params)),
        m_factory(std::move(factory)),
        m_guard(guard) {}

  // Poco's HTTPServerConnection::run(), plus: a request head Poco cannot parse into numbers (a
  // Content-Length of "abc" throws SyntaxException there) is a 400 rather than a silent close,
  // and stopping is the guard's (it wakes idle connections).
  void run() override {
    ConnectionGuard::Watch watch(m_guard, socket());
    Poco::Net::HTTPServerSession session(socket(), m_params);
    while (!m_guard.stopping() && session.hasMoreRequests()) {
      try {
        Poco::Net::HTTPServerResponseImpl response(session);
        Poco::Net::HTTPServerRequestImpl request(response, session, m_params);
        response.setDate(Poco::Timestamp());
        response.setVersion(request.getVersion());
        response.setKeepAlive(m_params->getKeepAlive() && request.getKeepAlive() &&
                              session.canKeepAlive());
        std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(
            m_factory->createRequestHandler(request));
        if (request.getExpectContinue() &&
            response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK) {
          response.sendContinue();
        }
        handler->handleRequest(request, response);
        session.setKeepAlive(m_params->getKeepAlive() && response.getKeepAlive() &&
                             session.canKeepAlive());
      } catch (const Poco::Net::NoMessageException&) {
        break;  // the peer closed between requests
      } catch (const Poco::Net::MessageException&) {
        send_bad_request(session);
      } catch (const Poco::SyntaxException&) {
        send_bad_request(session);
      } catch (const Poco::Exception&) {
        break;  // I/O failed or timed out (or the guard cut the connection): it ends
      }
    }
  }

 private:
  Poco::Net::HTTPServerParams::Ptr m_params;
  Poco::Net::HTTPRequestHandlerFactory::Ptr m_factory;
  ConnectionGuard& m_guard;
};

class GuardedConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  GuardedConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                           Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                           ConnectionGuard& guard)
      : m_params(std::move(params)), m_factory(std::move(factory)), m_guard(guard) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new GuardedConnection(socket, m_params, m_factory, m_guard);
  }

 private:
  Poco::Net::HTTPServerParams::Ptr m_params;
  Poco::Net::HTTPRequestHandlerFactory::Ptr m_factory;
  ConnectionGuard& m_guard;
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
  // Declared before m_server: the pool and the guard must outlive the server using them.
  std::unique_ptr<Poco::ThreadPool> m_pool;
  std::unique_ptr<ConnectionGuard> m_guard;
  Poco::SharedPtr<DispatcherFactory> m_handlers;
  std::unique_ptr<Poco::Net::TCPServer> m_server;
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
  // A worker for every connection the guard admits: a connection waiting for its head holds
  // its worker until the head deadline, so with fewer workers a slowloris from a few addresses
  // (each under its cap) would make every new client wait for that deadline. Threads are made
  // on demand and end when idle, so an unattacked server runs few.
  const unsigned workers =
      std::max({1u, m_options.worker_threads, ConnectionGuard::k_max_total + 1});
  auto params = Poco::makeAuto<Poco::Net::HTTPServerParams>();
  params->setMaxThreads(static_cast<int>(workers));
  // Every admitted connection is queued (the guard bounds them): one dropped by a full queue
  // would never give its count back.
  params->setMaxQueued(static_cast<int>(
      std::max(m_options.max_queued_connections, ConnectionGuard::k_max_total + 1)));
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(m_options.keep_alive_timeout.count(), 0));
  params->setMaxKeepAliveRequests(static_cast<int>(m_options.max_keep_alive_requests));
  params->setTimeout(Poco::Timespan(m_options.io_timeout.count(), 0));
  try {
    m_pool = std::make_unique<Poco::ThreadPool>("transport-http", 1, static_cast<int>(workers));
    m_guard = std::make_unique<ConnectionGuard>(m_options.keep_alive_timeout);
    m_handlers = Poco::makeShared<DispatcherFactory>(m_state);
    m_server = std::make_unique<Poco::Net::TCPServer>(
        new GuardedConnectionFactory(params, m_handlers, *m_guard), *m_pool, m_socket, params);
    m_server->setConnectionFilter(m_guard->filter());
    m_server->start();
    m_port = m_socket.address().port();
  } catch (const Poco::Exception& e) {
    m_server.reset();
    m_guard.reset();
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
    m_server->stop();
    m_guard->stop_idle();
    m_pool->joinAll();
  } catch (const Poco::Exception& e) {
    m_state->log->warn("stopping the HTTP server: {}", e.displayText());
  }
  m_server.reset();
  m_guard.reset();
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
