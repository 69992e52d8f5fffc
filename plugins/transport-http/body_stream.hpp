// Reads one HTTP message body straight from a Poco HTTPSession, framed by Content-Length, by
// chunked transfer encoding, or by the end of the connection.
//
// Why not Poco's own body streams: in Poco 1.11 they report a body cut short by the peer (a
// connection dropped mid-upload or mid-download) as an ordinary end of stream, so a truncated
// blob would look complete. Here a premature end throws TransportError.
//
// Failure: reads throw TransportError (truncated or malformed body, I/O error or timeout) or
// BodyTooLarge (more than `limit` bytes); the stream has exceptions(badbit) set, so these reach
// the caller of read()/get() unchanged instead of only setting badbit.
// Threads: used by one thread at a time. Ownership: `session` must outlive the stream.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "sccache/transport.hpp"

namespace Poco::Net {
class HTTPSession;
}

namespace sccache::transport_http {

enum class BodyFraming { length, chunked, until_close };

// The body's own framing is broken (a chunk size that is not hex, a chunk without its CRLF, an
// overlong line, too many trailer fields): the peer's fault, answered 400.
class MalformedBody : public TransportError {
 public:
  using TransportError::TransportError;
};

// HTTPSession::read(): bytes the session has buffered, else one receive from its socket (0 at
// the end of the stream). Throws what the session throws (Poco exceptions).
int read_session(Poco::Net::HTTPSession& session, char* data, std::streamsize size);

class BodyBuffer final : public std::streambuf {
 public:
  BodyBuffer(Poco::Net::HTTPSession& session, BodyFraming framing, uint64_t length, uint64_t limit);
  bool complete() const { return m_state == State::done; }

 protected:
  int_type underflow() override;

 private:
  // failed: a read threw; every later one throws too (the body's end is lost).
  enum class State { data, chunk_end, chunk_header, trailer, done, failed };

  size_t fill();  // the next piece of the body into m_buffer; 0 at its end
  size_t fill_unchecked();
  size_t raw_read(char* data, size_t size);
  std::string read_line();

  Poco::Net::HTTPSession& m_session;
  BodyFraming m_framing;
  State m_state = State::data;
  uint64_t m_remaining;  // of the body (length) or of the current chunk (chunked)
  uint64_t m_total = 0;
  uint64_t m_limit;
  std::vector<char> m_buffer;
};

class BodyStream final : public std::istream {
 public:
  // `length` is used with BodyFraming::length only.
  BodyStream(Poco::Net::HTTPSession& session, BodyFraming framing, uint64_t length, uint64_t limit);
  // Whether every byte of the body (and the chunked trailer) has been read.
  bool complete() const { return m_buffer.complete(); }
  // True iff the caller has read all the data: reads ahead just enough to see the end of the body.
  // Never throws (an error means false).
  bool at_end() noexcept;
  // Reads and discards what is left, at most `max_bytes`; returns complete(). Never throws.
  bool skip_rest(uint64_t max_bytes) noexcept;

 private:
  BodyBuffer m_buffer;
};

}  // namespace sccache::transport_http
