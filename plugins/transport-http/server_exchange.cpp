#include "transport-http/server_exchange.hpp"

#include <algorithm>
#include <stdexcept>
#include <strings.h>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/StreamSocket.h>
#include <fmt/format.h>

namespace sccache::transport_http {
namespace {

bool is_framing_header(const std::string& name) {
  return strcasecmp(name.c_str(), "Content-Length") == 0 ||
         strcasecmp(name.c_str(), "Transfer-Encoding") == 0;
}

}  // namespace

namespace {

// RFC 9112 section 6: what makes a request's body boundaries ambiguous ("" when none does).
std::string framing_problem(const HeaderList& headers) {
  std::optional<std::string> length;
  bool transfer_encoding = false;
  for (const auto& [name, value] : headers) {
    if (strcasecmp(name.c_str(), "Content-Length") == 0) {
      const bool digits =
          !value.empty() && value.size() <= 18 &&
          std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits) {
        return "Content-Length is not a decimal byte count";
      }
      if (length && *length != value) {
        return "two different Content-Length values";
      }
      length = value;
    } else if (strcasecmp(name.c_str(), "Transfer-Encoding") == 0) {
      if (transfer_encoding || strcasecmp(value.c_str(), "chunked") != 0) {
        return "only \"Transfer-Encoding: chunked\" is accepted";
      }
      transfer_encoding = true;
    }
  }
  if (length && transfer_encoding) {
    return "both Content-Length and Transfer-Encoding";
  }
  return {};
}

}  // namespace

RequestAdaptor::RequestAdaptor(Poco::Net::HTTPServerRequestImpl& request, uint64_t max_body_bytes)
    : m_request(request),
      m_max_body_bytes(max_body_bytes),
      m_method(request.getMethod()),
      m_peer(request.clientAddress().toString()) {
  const std::string& uri = request.getURI();
  size_t question = uri.find('?');
  m_path = uri.substr(0, question);
  if (question != std::string::npos) {
    m_query = uri.substr(question + 1);
  }
  for (const auto& [name, value] : request) {
    m_headers.emplace_back(name, value);
  }
  m_framing_error = framing_problem(m_headers);
  if (!m_framing_error.empty()) {
    m_content_length = 0;
  } else if (request.getChunkedTransferEncoding()) {
    m_content_length = -1;
  } else if (request.hasContentLength()) {
    m_content_length = request.getContentLength64();
  }
}

std::istream& RequestAdaptor::body() {
  if (!m_body) {
    BodyFraming framing = m_content_length < 0 ? BodyFraming::chunked : BodyFraming::length;
    uint64_t length = m_content_length < 0 ? 0 : static_cast<uint64_t>(m_content_length);
    m_body.emplace(m_request.session(), framing, length, m_max_body_bytes);
  }
  return *m_body;
}

bool RequestAdaptor::finish_body(uint64_t max_skip) noexcept {
  if (!m_body_finished) {
    if (!m_framing_error.empty()) {
      m_body_finished = false;  // where the body ends is unknown: nothing more is read
    } else if (m_content_length > 0 && static_cast<uint64_t>(m_content_length) > m_max_body_bytes) {
      m_body_finished = false;  // refused unread
    } else {
      try {
        body();
        m_body_finished = m_body->skip_rest(max_skip);
      } catch (...) {
        m_body_finished = false;
      }
    }
  }
  return *m_body_finished;
}

void RequestAdaptor::drain_before_close(uint64_t max_bytes,
                                        std::chrono::milliseconds max_time) noexcept {
  auto deadline = std::chrono::steady_clock::now() + max_time;
  char scratch[16 * 1024];
  uint64_t drained = 0;
  try {
    // A client that sends nothing for this long is not in the middle of a body.
    m_request.socket().setReceiveTimeout(Poco::Timespan(0, 500 * 1000));
    while (drained < max_bytes && std::chrono::steady_clock::now() < deadline) {
      int n = read_session(m_request.session(), scratch, sizeof scratch);
      if (n <= 0) {
        return;  // the client closed its side
      }
      drained += static_cast<uint64_t>(n);
    }
  } catch (...) {
    // Timed out, or the connection is gone already.
  }
}

size_t RequestAdaptor::header_bytes() const {
  size_t bytes = 0;
  for (const auto& [name, value] : m_headers) {
    bytes += name.size() + value.size() + 4;  // ": " and CRLF
  }
  return bytes;
}

void RequestAdaptor::abort_connection() noexcept {
  try {
    m_request.socket().shutdown();
  } catch (...) {
    // Already closed: nothing more to end.
  }
}

void ResponseAdaptor::prepare(int status, std::string_view content_type,
                              const HeaderList& extra_headers) {
  if (m_response.sent()) {
    throw std::logic_error("a response was already sent for this request");
  }
  if (status < 100 || status > 599) {
    throw std::invalid_argument(fmt::format("invalid HTTP status {}", status));
  }
  m_response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  if (!content_type.empty()) {
    m_response.setContentType(std::string(content_type));
  }
  for (const auto& [name, value] : extra_headers) {
    if (!is_framing_header(name)) {
      m_response.add(name, value);
    }
  }
}

void ResponseAdaptor::send(int status, std::string_view content_type, std::string_view body,
                           const HeaderList& extra_headers) {
  prepare(status, content_type, extra_headers);
  m_response.setChunkedTransferEncoding(false);
  m_response.setContentLength64(static_cast<Poco::Int64>(body.size()));
  std::ostream& out = m_response.send();
  out.write(body.data(), static_cast<std::streamsize>(body.size()));
  out.flush();
}

std::ostream& ResponseAdaptor::stream(int status, std::string_view content_type,
                                      const HeaderList& extra_headers) {
  prepare(status, content_type, extra_headers);
  m_response.setChunkedTransferEncoding(true);
  m_stream = &m_response.send();
  return *m_stream;
}

}  // namespace sccache::transport_http
