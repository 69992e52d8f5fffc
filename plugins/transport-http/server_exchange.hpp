// One server exchange: the ServerRequest and ServerResponse handed to a route handler, adapted
// from Poco's request and response.
//
// Threads and lifetime: both live on the worker thread serving the request, for one
// handleRequest() call, like the Poco objects they refer to.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "sccache/transport.hpp"

#include "transport-http/body_stream.hpp"

namespace sccache::transport_http {

// {"error": "<message>"}, JSON-escaped.

class RequestAdaptor final : public ServerRequest {
 public:
  RequestAdaptor(Poco::Net::HTTPServerRequestImpl& request, uint64_t max_body_bytes);

  const std::string& method() const override { return m_method; }
  const std::string& path() const override { return m_path; }
  const std::string& query() const override { return m_query; }
  const HeaderList& headers() const override { return m_headers; }
  const std::string& peer_address() const override { return m_peer; }
  // 0 when the request has neither Content-Length nor chunked encoding (no body in HTTP/1.1).
  int64_t content_length() const override { return m_content_length; }
  std::istream& body() override;

  // Whether the body has been read to its end, after reading and discarding at most `max_skip`
  // more bytes of it; false means the connection cannot carry another request. The first call
  // decides; later ones return the same. Never throws.
  bool finish_body(uint64_t max_skip) noexcept;
  // Before closing a connection whose request body was not read: reads and discards what the
  // client still sends, until it closes or `max_bytes` / `max_time` pass. Closing with unread
  // data would make the kernel reset the connection, which can destroy the response in flight
  // and fails the client's remaining writes. Never throws.
  void drain_before_close(uint64_t max_bytes, std::chrono::milliseconds max_time) noexcept;
  // Bytes of header fields, for the server's header limits.
  size_t header_bytes() const;
  // Why the body's framing cannot be trusted (a Content-Length that is not a decimal count,
  // two that differ, a Transfer-Encoding other than chunked, or both headers), else "". Such a
  // request is answered 400 and its connection closed without reading on: where its body ends
  // is unknown.
  const std::string& framing_error() const { return m_framing_error; }
  // Ends the connection at once (for a response that cannot be completed). Never throws.
  void abort_connection() noexcept;

 private:
  Poco::Net::HTTPServerRequestImpl& m_request;
  uint64_t m_max_body_bytes;
  std::string m_method, m_path, m_query, m_peer;
  HeaderList m_headers;
  int64_t m_content_length = 0;
  std::string m_framing_error;
  std::optional<BodyStream> m_body;
  std::optional<bool> m_body_finished;
};

class ResponseAdaptor final : public ServerResponse {
 public:
  explicit ResponseAdaptor(Poco::Net::HTTPServerResponse& response) : m_response(response) {}

  // Both throw std::logic_error if a response was already started, std::invalid_argument for a
  // status outside 100..599. Content-Length and Transfer-Encoding in `extra_headers` are ignored
  // (the server frames the body).
  void send(int status, std::string_view content_type, std::string_view body,
            const HeaderList& extra_headers = {}) override;
  std::ostream& stream(int status, std::string_view content_type,
                       const HeaderList& extra_headers = {}) override;
  bool sent() const override { return m_response.sent(); }

  // Announces (before a response starts) or forces (after) closing the connection afterwards.
  void close_connection() { m_response.setKeepAlive(false); }
  // The chunked body stream once stream() was called, else null.
  std::ostream* body_stream() const { return m_stream; }

 private:
  void prepare(int status, std::string_view content_type, const HeaderList& extra_headers);

  Poco::Net::HTTPServerResponse& m_response;
  std::ostream* m_stream = nullptr;
};

}  // namespace sccache::transport_http
