#include "transport-http/body_stream.hpp"

#include <algorithm>
#include <limits>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPSession.h>
#include <fmt/format.h>

#include "sccache/transport.hpp"

#include "transport-http/connection_guard.hpp"

namespace sccache::transport_http {
namespace {

constexpr size_t k_buffer_size = 64 * 1024;
constexpr size_t k_max_line = 4096;  // a chunk-size line or a trailer field
constexpr unsigned k_max_trailer_fields = 64;

uint64_t parse_chunk_size(const std::string& line) {
  std::string_view digits(line);
  digits = digits.substr(0, digits.find(';'));  // chunk extensions are ignored
  while (!digits.empty() && (digits.back() == ' ' || digits.back() == '\t')) {
    digits.remove_suffix(1);
  }
  if (digits.empty() || digits.size() > 15) {
    throw MalformedBody(fmt::format("malformed chunk size line \"{}\"", line));
  }
  uint64_t size = 0;
  for (char c : digits) {
    int value = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
    if (value < 0) {
      throw MalformedBody(fmt::format("malformed chunk size line \"{}\"", line));
    }
    size = size * 16 + static_cast<uint64_t>(value);
  }
  return size;
}

}  // namespace

int read_session(Poco::Net::HTTPSession& session, char* data, std::streamsize size) {
  // HTTPSession::read() is protected; a pointer to member formed inside a derived class is the
  // standard way to reach it.
  struct Reader : Poco::Net::HTTPSession {
    static int (Poco::Net::HTTPSession::*member())(char*, std::streamsize) { return &Reader::read; }
  };
  return (session.*Reader::member())(data, size);
}

BodyBuffer::BodyBuffer(Poco::Net::HTTPSession& session, BodyFraming framing, uint64_t length,
                       uint64_t limit)
    : m_session(session),
      m_framing(framing),
      m_state(framing == BodyFraming::chunked ? State::chunk_header : State::data),
      m_remaining(framing == BodyFraming::length ? length : 0),
      m_limit(limit),
      m_buffer(k_buffer_size) {}

BodyBuffer::int_type BodyBuffer::underflow() {
  if (gptr() < egptr()) {
    return traits_type::to_int_type(*gptr());
  }
  size_t n = fill();
  if (n == 0) {
    return traits_type::eof();
  }
  setg(m_buffer.data(), m_buffer.data(), m_buffer.data() + n);
  return traits_type::to_int_type(*gptr());
}

size_t BodyBuffer::fill() {
  if (m_state == State::failed) {
    // Resynchronising after a framing error could read the next bytes as anything.
    throw MalformedBody("the body's framing is broken");
  }
  try {
    return fill_unchecked();
  } catch (...) {
    m_state = State::failed;
    throw;
  }
}

size_t BodyBuffer::fill_unchecked() {
  for (;;) {
    switch (m_state) {
      case State::done:
        return 0;
      case State::failed:
        throw MalformedBody("the body's framing is broken");
      case State::data: {
        bool bounded = m_framing != BodyFraming::until_close;
        if (bounded && m_remaining == 0) {
          m_state = m_framing == BodyFraming::chunked ? State::chunk_end : State::done;
          continue;
        }
        size_t want = bounded
                          ? static_cast<size_t>(std::min<uint64_t>(m_remaining, m_buffer.size()))
                          : m_buffer.size();
        size_t n = raw_read(m_buffer.data(), want);
        if (n == 0) {
          if (!bounded) {
            m_state = State::done;
            return 0;
          }
          throw TransportError(fmt::format(
              "the connection closed before the end of the body ({} bytes read)", m_total));
        }
        if (bounded) {
          m_remaining -= n;
        }
        m_total += n;
        if (m_total > m_limit) {
          throw BodyTooLarge(fmt::format("the body exceeds the limit of {} bytes", m_limit));
        }
        return n;
      }
      case State::chunk_end:
        if (!read_line().empty()) {
          throw MalformedBody("malformed chunked encoding: no CRLF after a chunk");
        }
        m_state = State::chunk_header;
        continue;
      case State::chunk_header:
        m_remaining = parse_chunk_size(read_line());
        m_state = m_remaining == 0 ? State::trailer : State::data;
        if (m_remaining > 0 && m_total + m_remaining > m_limit) {
          throw BodyTooLarge(fmt::format("the body exceeds the limit of {} bytes", m_limit));
        }
        continue;
      case State::trailer:
        for (unsigned fields = 0; !read_line().empty(); ++fields) {
          if (fields == k_max_trailer_fields) {
            throw MalformedBody("malformed chunked encoding: too many trailer fields");
          }
        }
        m_state = State::done;
        return 0;
    }
  }
}

size_t BodyBuffer::raw_read(char* data, size_t size) {
  // The guard cuts a body that stops coming (connection_guard.hpp); a read it ends throws below.
  ConnectionGuard::Watch* watch = ConnectionGuard::Watch::current();
  struct Progress {
    ConnectionGuard::Watch* watch;
    uint64_t bytes = 0;
    ~Progress() {
      if (watch != nullptr) {
        watch->body_read_ended(bytes);
      }
    }
  } progress{watch};
  if (watch != nullptr) {
    watch->body_read_started();
  }
  try {
    int n = read_session(m_session, data, static_cast<std::streamsize>(size));
    progress.bytes = n > 0 ? static_cast<uint64_t>(n) : 0;
    return n > 0 ? static_cast<size_t>(n) : 0;
  } catch (const Poco::TimeoutException&) {
    throw TransportError("timed out reading the body");
  } catch (const Poco::Exception& e) {
    throw TransportError(fmt::format("reading the body failed: {}", e.displayText()));
  }
}

std::string BodyBuffer::read_line() {
  std::string line;
  char c = 0;
  for (;;) {
    if (raw_read(&c, 1) == 0) {
      throw TransportError(fmt::format(
          "the connection closed before the end of the chunked body ({} bytes read)", m_total));
    }
    if (c == '\n') {
      break;
    }
    if (line.size() == k_max_line) {
      throw MalformedBody("malformed chunked encoding: line too long");
    }
    line.push_back(c);
  }
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

BodyStream::BodyStream(Poco::Net::HTTPSession& session, BodyFraming framing, uint64_t length,
                       uint64_t limit)
    : std::istream(nullptr), m_buffer(session, framing, length, limit) {
  rdbuf(&m_buffer);
  exceptions(std::ios::badbit);
}

bool BodyStream::at_end() noexcept {
  try {
    return m_buffer.sgetc() == std::char_traits<char>::eof() && m_buffer.complete();
  } catch (...) {
    return false;
  }
}

bool BodyStream::skip_rest(uint64_t max_bytes) noexcept {
  try {
    char scratch[16 * 1024];
    uint64_t skipped = 0;
    while (!at_end()) {
      if (skipped >= max_bytes) {
        return false;
      }
      std::streamsize n = m_buffer.sgetn(scratch, sizeof scratch);
      if (n <= 0) {
        break;
      }
      skipped += static_cast<uint64_t>(n);
    }
    return complete();
  } catch (...) {
    return false;
  }
}

}  // namespace sccache::transport_http
