// TransportClient over Poco HTTPClientSession / HTTPSClientSession with a keep-alive pool.
//
// A request on a reused idle connection that fails before any byte of the response arrived (the
// server closed the idle connection meanwhile) is sent once more on a fresh connection; the body
// is sent again too (`body`, or by calling `body_writer` again). Timeouts are never retried.
#include "transport-http/http_client.hpp"

#include <algorithm>
#include <functional>
#include <limits>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "transport-http/body_stream.hpp"
#include "transport-http/connection_pool.hpp"
#include "transport-http/tls_client_contexts.hpp"

namespace sccache::transport_http {
namespace {

using BodyReaderFn = std::function<void(std::istream&)>;

constexpr size_t k_max_idle_per_endpoint = 8;
// Idle connections older than this are not reused (servers close theirs after 30 s by default).
constexpr std::chrono::seconds k_max_idle_time{20};

Poco::Timespan to_timespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

// Thrown inside one attempt when a reused connection failed before any response byte arrived.
struct StaleConnection {
  std::string reason;
};

class HttpClient final : public TransportClient {
 public:
  HttpClient(const ClientOptions& options, HostContext& host)
      : m_options(options),
        m_log(host.logger("transport-http")),
        m_contexts(options.ca_file, options.ca_dir),
        m_pool(k_max_idle_per_endpoint, k_max_idle_time) {}

  ClientResponse send(const Endpoint& endpoint, const ClientRequest& request) override {
    return exchange(endpoint, request, nullptr);
  }

  ClientResponse send(const Endpoint& endpoint, const ClientRequest& request,
                      const BodyReaderFn& body_reader) override {
    return exchange(endpoint, request, &body_reader);
  }

 private:
  ClientResponse exchange(const Endpoint& endpoint, const ClientRequest& request,
                          const BodyReaderFn* body_reader);
  ClientResponse attempt(Poco::Net::HTTPClientSession& session, const Endpoint& endpoint,
                         const ClientRequest& request, const BodyReaderFn* body_reader,
                         bool may_retry, bool& reusable);
  std::unique_ptr<Poco::Net::HTTPClientSession> new_session(const PoolKey& key);
  [[noreturn]] void fail_before_response(const Endpoint& endpoint, const char* what,
                                         const Poco::Exception& error, bool may_retry);

  const ClientOptions m_options;
  std::shared_ptr<spdlog::logger> m_log;
  TlsClientContexts m_contexts;  // declared before m_pool: outlives the sessions using it
  ConnectionPool m_pool;
};

std::unique_ptr<Poco::Net::HTTPClientSession> HttpClient::new_session(const PoolKey& key) {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (key.tls) {
    Poco::Net::Context::Ptr context;
    try {
      context = key.pin.empty() ? m_contexts.ca_verified(key.host) : m_contexts.pinned(key.pin);
    } catch (const TransportError& e) {
      throw TransportError(
          fmt::format("{}: {}", Endpoint{true, key.host, key.port, key.pin}.to_string(), e.what()));
    }
    session = std::make_unique<Poco::Net::HTTPSClientSession>(key.host, key.port, context);
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>(key.host, key.port);
  }
  session->setKeepAlive(true);
  session->setKeepAliveTimeout(Poco::Timespan(k_max_idle_time.count(), 0));
  return session;
}

ClientResponse HttpClient::exchange(const Endpoint& endpoint, const ClientRequest& request,
                                    const BodyReaderFn* body_reader) {
  if (endpoint.host.empty() || endpoint.port == 0) {
    throw TransportError(fmt::format("{}: no host or port to connect to", endpoint.to_string()));
  }
  PoolKey key{endpoint.tls, endpoint.host, endpoint.port, {}};
  if (endpoint.tls && !endpoint.pinned_sha256.empty()) {
    try {
      key.pin = normalize_pin(endpoint.pinned_sha256);
    } catch (const TransportError& e) {
      throw TransportError(fmt::format("{}: {}", endpoint.to_string(), e.what()));
    }
  }
  for (int round = 0;; ++round) {
    // The retry (round 1) always uses a new connection.
    std::unique_ptr<Poco::Net::HTTPClientSession> session = round == 0 ? m_pool.take(key) : nullptr;
    bool reused = session != nullptr;
    bool reusable = false;
    try {
      if (!reused) {
        session = new_session(key);
      }
      ClientResponse response = attempt(*session, endpoint, request, body_reader, reused, reusable);
      if (reusable) {
        m_pool.give_back(key, std::move(session));
      }
      return response;
    } catch (const StaleConnection& stale) {
      m_log->debug("{}: reused connection failed ({}); retrying on a new one", endpoint.to_string(),
                   stale.reason);
    } catch (const Poco::Exception& e) {  // a safety net: attempt() converts the expected ones
      throw TransportError(fmt::format("{}: {}", endpoint.to_string(), e.displayText()));
    }
  }
}

void HttpClient::fail_before_response(const Endpoint& endpoint, const char* what,
                                      const Poco::Exception& error, bool may_retry) {
  if (std::optional<std::string> seen = TlsClientContexts::take_rejected_fingerprint()) {
    throw TransportError(fmt::format(
        "{}: the server's certificate fingerprint did not match the pinned one (pinned {}, "
        "server presented {})",
        endpoint.to_string(), normalize_pin(endpoint.pinned_sha256), *seen));
  }
  bool timeout = dynamic_cast<const Poco::TimeoutException*>(&error) != nullptr;
  if (may_retry && !timeout) {
    throw StaleConnection{error.displayText()};
  }
  throw TransportError(fmt::format("{}: {}: {}", endpoint.to_string(), what,
                                   timeout ? "timed out" : error.displayText()));
}

ClientResponse HttpClient::attempt(Poco::Net::HTTPClientSession& session, const Endpoint& endpoint,
                                   const ClientRequest& request, const BodyReaderFn* body_reader,
                                   bool may_retry, bool& reusable) {
  Poco::Timespan io_timeout = to_timespan(request.timeout);
  session.setTimeout(to_timespan(m_options.connect_timeout), io_timeout, io_timeout);
  if (session.connected()) {  // timeouts otherwise apply when the session connects
    try {
      session.socket().setReceiveTimeout(io_timeout);
      session.socket().setSendTimeout(io_timeout);
    } catch (const Poco::Exception& e) {
      fail_before_response(endpoint, "setting socket timeouts", e, may_retry);
    }
  }

  Poco::Net::HTTPRequest poco_request(request.method, request.path,
                                      Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [name, value] : request.headers) {
    poco_request.add(name, value);
  }
  if (!request.content_type.empty()) {
    poco_request.setContentType(request.content_type);
  }
  if (request.body_writer) {
    poco_request.setChunkedTransferEncoding(true);
  } else if (!request.body.empty() || (request.method != "GET" && request.method != "HEAD")) {
    poco_request.setContentLength64(static_cast<Poco::Int64>(request.body.size()));
  }

  // Sending. Write errors on the body stream only set badbit (Poco keeps the exception); the
  // server may still have answered (e.g. 413 before reading the body), so the response is read
  // regardless and the write error reported only if no response arrives.
  TlsClientContexts::take_rejected_fingerprint();
  const char* sending = session.connected() ? "sending the request" : "connecting";
  std::ostream* out = nullptr;
  try {
    out = &session.sendRequest(poco_request);
    // Bodies go out as several small writes (chunk headers, data); with Nagle's algorithm each
    // waits for the peer's delayed ACK, ~40 ms per request. Poco's server side sets this too.
    session.socket().setNoDelay(true);
  } catch (const Poco::Exception& e) {
    fail_before_response(endpoint, sending, e, may_retry);
  }
  if (request.body_writer) {
    request.body_writer(*out);  // its own exceptions propagate; the session is dropped
  } else if (!request.body.empty()) {
    out->write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
  }
  bool sent_whole_body = static_cast<bool>(out->flush());

  Poco::Net::HTTPResponse poco_response;
  try {
    session.receiveResponse(poco_response);
  } catch (const Poco::Exception& e) {
    fail_before_response(endpoint, "receiving the response", e, may_retry);
  }

  ClientResponse response;
  response.status = static_cast<int>(poco_response.getStatus());
  for (const auto& [name, value] : poco_response) {
    response.headers.emplace_back(name, value);
  }

  bool no_body = request.method == "HEAD" || response.status < 200 || response.status == 204 ||
                 response.status == 304;
  BodyFraming framing = BodyFraming::until_close;
  uint64_t length = 0;
  if (no_body) {
    framing = BodyFraming::length;
  } else if (poco_response.getChunkedTransferEncoding()) {
    framing = BodyFraming::chunked;
  } else if (poco_response.hasContentLength()) {
    framing = BodyFraming::length;
    length = static_cast<uint64_t>(std::max<Poco::Int64>(0, poco_response.getContentLength64()));
  }
  uint64_t limit =
      body_reader ? std::numeric_limits<uint64_t>::max() : m_options.max_response_bytes;
  if (framing == BodyFraming::length && length > limit) {
    throw TransportError(fmt::format("{}: response body of {} bytes exceeds the limit of {} bytes",
                                     endpoint.to_string(), length, limit));
  }

  BodyStream body(session, framing, length, limit);
  try {
    if (body_reader) {
      (*body_reader)(body);
    } else {
      char buffer[64 * 1024];
      while (body.read(buffer, sizeof buffer) || body.gcount() > 0) {
        response.body.append(buffer, static_cast<size_t>(body.gcount()));
      }
    }
  } catch (const BodyTooLarge&) {
    throw TransportError(fmt::format("{}: response body exceeds the limit of {} bytes",
                                     endpoint.to_string(), limit));
  } catch (const TransportError& e) {
    throw TransportError(
        fmt::format("{}: reading the response body: {}", endpoint.to_string(), e.what()));
  }
  reusable = sent_whole_body && framing != BodyFraming::until_close &&
             poco_response.getKeepAlive() && body.at_end();
  return response;
}

}  // namespace

std::unique_ptr<TransportClient> make_http_client(const ClientOptions& options, HostContext& host) {
  return std::make_unique<HttpClient>(options, host);
}

}  // namespace sccache::transport_http
