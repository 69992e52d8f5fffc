// The Docker Engine API over its Unix socket, spoken with Poco (HTTP) and Poco::JSON.
//
// Every request uses its own connection: connecting to a Unix socket costs microseconds, and no
// state is shared between threads, so all methods are thread-safe. The API version is pinned
// (k_api_version), so the engine answers the same way whatever its release.
// Failure: SandboxError, saying which engine, which request and what the engine said; a deadline
// that passes throws EngineTimeout.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include <Poco/JSON/Object.h>
#include <Poco/Net/StreamSocket.h>

#include "sccache/sandbox.hpp"

namespace sccache::sandbox_docker {

using Clock = std::chrono::steady_clock;

// Docker Engine 20.10 (Debian 12's docker.io) speaks API 1.41; later engines still accept it.
inline constexpr const char* k_api_version = "1.41";

class EngineTimeout : public SandboxError {
 public:
  using SandboxError::SandboxError;
};

// Writing to an attached container failed: the container (or the engine) closed the stream.
class StreamClosed : public SandboxError {
 public:
  using SandboxError::SandboxError;
};

// One hijacked connection (attach): raw bytes both ways after the HTTP response head. The engine
// multiplexes the container's stdout and stderr into frames (an 8-byte header each).
// Threads: one thread at a time.
class AttachedConnection {
 public:
  AttachedConnection(Poco::Net::StreamSocket socket, std::string already_read);
  ~AttachedConnection();
  AttachedConnection(const AttachedConnection&) = delete;
  AttachedConnection& operator=(const AttachedConnection&) = delete;

  enum class Stream { stdout_stream, stderr_stream };
  struct Frame {
    Stream stream = Stream::stdout_stream;
    std::string data;
  };
  // Writes all of `data` (to the container's stdin). Throws StreamClosed as soon as the container
  // has something to say (or its output ended): whoever reads the stdin is meant to say nothing
  // before it has read all of it, so it stopped reading, and the engine does not close the
  // stdin of a container that stopped reading it; writing on would block until the deadline.
  void send(const char* data, size_t size, Clock::time_point deadline);
  // The next frame; false at the end of the stream (the container's output closed).
  bool read_frame(Frame& frame, Clock::time_point deadline);

 private:
  // Fills `size` bytes; false if the stream ends before the first byte.
  bool receive_exact(char* data, size_t size, Clock::time_point deadline);

  Poco::Net::StreamSocket m_socket;
  std::string m_buffer;  // received, not yet consumed
  size_t m_offset = 0;
};

class EngineClient {
 public:
  explicit EngineClient(std::filesystem::path socket);

  struct Response {
    int status = 0;
    std::string body;
  };

  const std::filesystem::path& socket() const { return m_socket; }

  // `path` is the API path without the version ("/containers/create?name=x"); the version prefix
  // is added unless `path` is "/version" or "/_ping". `json` is the body, empty for none.
  Response call(const std::string& method, const std::string& path, const std::string& json = {},
                std::chrono::seconds timeout = std::chrono::seconds(60)) const;
  // call(), then the parsed JSON body; throws SandboxError unless the status is 2xx.
  Poco::JSON::Object::Ptr call_json(const std::string& method, const std::string& path,
                                    const std::string& json = {},
                                    std::chrono::seconds timeout = std::chrono::seconds(60)) const;
  // A request whose body `write_body` streams (chunked transfer encoding).
  Response upload(const std::string& method, const std::string& path,
                  const std::string& content_type,
                  const std::function<void(std::ostream&)>& write_body,
                  std::chrono::seconds timeout) const;
  // POSTs `json` (may be empty) to `path` (an attach or exec start) and returns the hijacked
  // connection.
  std::unique_ptr<AttachedConnection> attach(const std::string& path, std::chrono::seconds timeout,
                                             const std::string& json = {}) const;

  // The parsed JSON body of a 2xx `response`; throws SandboxError for any other status or a body
  // that is not a JSON object.
  static Poco::JSON::Object::Ptr json_body(const std::string& method, const std::string& path,
                                           const Response& response);
  // "POST /containers/create: 404 No such image: x" for an error response.
  static std::string describe_failure(const std::string& method, const std::string& path,
                                      const Response& response);

 private:
  Poco::Net::StreamSocket connect(std::chrono::seconds timeout) const;
  std::string versioned(const std::string& path) const;

  std::filesystem::path m_socket;
};

}  // namespace sccache::sandbox_docker
