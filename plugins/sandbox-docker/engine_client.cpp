#include "sandbox-docker/engine_client.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <fmt/format.h>

namespace sccache::sandbox_docker {
namespace fs = std::filesystem;
using Poco::Net::HTTPMessage;
using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;
using Poco::Net::StreamSocket;

namespace {

constexpr size_t k_max_response_head = 64 * 1024;

Poco::Timespan to_timespan(Clock::duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return Poco::Timespan(us > 0 ? us : 0);
}

Poco::Timespan remaining(Clock::time_point deadline, const char* what) {
  auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) {
    throw EngineTimeout(fmt::format("timed out {}", what));
  }
  return to_timespan(left);
}

// The engine's error bodies are {"message": "..."}.
std::string engine_message(const std::string& body) {
  try {
    Poco::JSON::Parser parser;
    auto object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    if (object && object->has("message")) {
      return object->getValue<std::string>("message");
    }
  } catch (const Poco::Exception&) {
  } catch (const std::exception&) {
  }
  return body.substr(0, 500);
}

// Writes all of `data`, never raising SIGPIPE.
void send_all(StreamSocket& socket, const char* data, size_t size, Clock::time_point deadline) {
  try {
    while (size > 0) {
      if (!socket.poll(remaining(deadline, "writing to the container"),
                       Poco::Net::Socket::SELECT_WRITE)) {
        continue;  // remaining() throws once the deadline has passed
      }
      int chunk = static_cast<int>(std::min<size_t>(size, 1 << 20));
      int sent = socket.sendBytes(data, chunk, MSG_NOSIGNAL);
      if (sent <= 0) {
        throw StreamClosed("the container's input stream closed");
      }
      data += sent;
      size -= static_cast<size_t>(sent);
    }
  } catch (const Poco::TimeoutException&) {
    throw EngineTimeout("timed out writing to the container");
  } catch (const Poco::Exception& e) {
    throw StreamClosed(fmt::format("cannot write to the container: {}", e.displayText()));
  }
}

}  // namespace

AttachedConnection::AttachedConnection(StreamSocket socket, std::string already_read)
    : m_socket(std::move(socket)), m_buffer(std::move(already_read)) {}

AttachedConnection::~AttachedConnection() {
  try {
    m_socket.close();
  } catch (const Poco::Exception&) {
  }
}

void AttachedConnection::send(const char* data, size_t size, Clock::time_point deadline) {
  const int fd = m_socket.impl()->sockfd();
  while (size > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      throw EngineTimeout("timed out writing to the container");
    }
    pollfd ready{fd, POLLIN | POLLOUT, 0};
    int n = ::poll(&ready, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) {
      throw StreamClosed(fmt::format("cannot write to the container: {}", std::strerror(errno)));
    }
    if (m_offset < m_buffer.size() || (n > 0 && (ready.revents & ~POLLOUT) != 0)) {
      throw StreamClosed("the container stopped reading its input (it answered, or ended)");
    }
    if (n <= 0) {
      continue;
    }
    ssize_t sent = ::send(fd, data, std::min<size_t>(size, 1 << 20), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      continue;
    }
    if (sent <= 0) {
      throw StreamClosed(fmt::format("cannot write to the container: {}",
                                     sent < 0 ? std::strerror(errno) : "closed"));
    }
    data += sent;
    size -= static_cast<size_t>(sent);
  }
}

bool AttachedConnection::receive_exact(char* data, size_t size, Clock::time_point deadline) {
  size_t done = 0;
  while (done < size) {
    if (m_offset < m_buffer.size()) {
      size_t n = std::min(size - done, m_buffer.size() - m_offset);
      std::memcpy(data + done, m_buffer.data() + m_offset, n);
      m_offset += n;
      done += n;
      continue;
    }
    m_buffer.resize(64 * 1024);
    m_offset = 0;
    int n = 0;
    try {
      while (!m_socket.poll(remaining(deadline, "waiting for the container"),
                            Poco::Net::Socket::SELECT_READ)) {
      }
      n = m_socket.receiveBytes(m_buffer.data(), static_cast<int>(m_buffer.size()));
    } catch (const Poco::TimeoutException&) {
      throw EngineTimeout("timed out waiting for the container");
    } catch (const Poco::Exception& e) {
      throw SandboxError(fmt::format("cannot read from the container: {}", e.displayText()));
    }
    m_buffer.resize(static_cast<size_t>(std::max(n, 0)));
    if (n <= 0) {
      if (done == 0) {
        return false;
      }
      throw SandboxError("the container's output ended in the middle of a frame");
    }
  }
  return true;
}

bool AttachedConnection::read_frame(Frame& frame, Clock::time_point deadline) {
  unsigned char header[8];
  if (!receive_exact(reinterpret_cast<char*>(header), sizeof header, deadline)) {
    return false;
  }
  if (header[0] != 1 && header[0] != 2) {
    throw SandboxError(fmt::format("unexpected stream type {} from the engine", header[0]));
  }
  frame.stream = header[0] == 1 ? Stream::stdout_stream : Stream::stderr_stream;
  uint32_t size = (uint32_t{header[4]} << 24) | (uint32_t{header[5]} << 16) |
                  (uint32_t{header[6]} << 8) | uint32_t{header[7]};
  frame.data.resize(size);
  if (size > 0 && !receive_exact(frame.data.data(), size, deadline)) {
    throw SandboxError("the container's output ended in the middle of a frame");
  }
  return true;
}

EngineClient::EngineClient(fs::path socket) : m_socket(std::move(socket)) {}

StreamSocket EngineClient::connect(std::chrono::seconds timeout) const {
  try {
    StreamSocket socket(
        Poco::Net::SocketAddress(Poco::Net::SocketAddress::UNIX_LOCAL, m_socket.string()));
    socket.setReceiveTimeout(to_timespan(timeout));
    socket.setSendTimeout(to_timespan(timeout));
    return socket;
  } catch (const Poco::Exception& e) {
    int error = e.code();
    std::string hint =
        error == EACCES || error == EPERM
            ? "the server's user may not use it: run the server as root or add its user to the "
              "docker group"
            : "start dockerd (scripts/start-dockerd.sh does) or set [builder] docker_socket";
    throw SandboxError(fmt::format("cannot reach the Docker engine at {}: {}; {}",
                                   m_socket.string(),
                                   error > 0 ? std::strerror(error) : e.displayText(), hint));
  }
}

std::string EngineClient::versioned(const std::string& path) const {
  if (path == "/version" || path == "/_ping") {
    return path;
  }
  return fmt::format("/v{}{}", k_api_version, path);
}

std::string EngineClient::describe_failure(const std::string& method, const std::string& path,
                                           const Response& response) {
  return fmt::format("Docker engine: {} {}: {} {}", method, path.substr(0, path.find('?')),
                     response.status, engine_message(response.body));
}

EngineClient::Response EngineClient::call(const std::string& method, const std::string& path,
                                          const std::string& json,
                                          std::chrono::seconds timeout) const {
  return upload(
      method, path, json.empty() ? "" : "application/json",
      json.empty() ? std::function<void(std::ostream&)>() : [&](std::ostream& out) { out << json; },
      timeout);
}

Poco::JSON::Object::Ptr EngineClient::call_json(const std::string& method, const std::string& path,
                                                const std::string& json,
                                                std::chrono::seconds timeout) const {
  return json_body(method, path, call(method, path, json, timeout));
}

Poco::JSON::Object::Ptr EngineClient::json_body(const std::string& method, const std::string& path,
                                                const Response& response) {
  if (response.status < 200 || response.status >= 300) {
    throw SandboxError(describe_failure(method, path, response));
  }
  try {
    Poco::JSON::Parser parser;
    return parser.parse(response.body).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception& e) {
    throw SandboxError(fmt::format("Docker engine: {} {}: unreadable answer: {}", method,
                                   path.substr(0, path.find('?')), e.what()));
  }
}

EngineClient::Response EngineClient::upload(const std::string& method, const std::string& path,
                                            const std::string& content_type,
                                            const std::function<void(std::ostream&)>& write_body,
                                            std::chrono::seconds timeout) const {
  Poco::Net::HTTPClientSession session(connect(timeout));
  HTTPRequest request(method, versioned(path), HTTPMessage::HTTP_1_1);
  request.setHost("docker");
  request.setKeepAlive(false);
  if (!content_type.empty()) {
    request.setContentType(content_type);
  }
  Response result;
  try {
    if (write_body && content_type == "application/json") {
      std::ostringstream body;
      write_body(body);
      request.setContentLength(static_cast<std::streamsize>(body.str().size()));
      session.sendRequest(request) << body.str();
    } else if (write_body) {
      request.setChunkedTransferEncoding(true);
      std::ostream& out = session.sendRequest(request);
      write_body(out);
      out.flush();
    } else {
      request.setContentLength(0);
      session.sendRequest(request);
    }
    HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    result.status = static_cast<int>(response.getStatus());
    Poco::StreamCopier::copyToString(in, result.body);
  } catch (const Poco::TimeoutException&) {
    throw EngineTimeout(fmt::format("Docker engine: {} {}: no answer within {} s", method,
                                    path.substr(0, path.find('?')), timeout.count()));
  } catch (const Poco::Exception& e) {
    throw SandboxError(fmt::format("Docker engine at {}: {} {}: {}", m_socket.string(), method,
                                   path.substr(0, path.find('?')), e.displayText()));
  }
  return result;
}

std::unique_ptr<AttachedConnection> EngineClient::attach(const std::string& path,
                                                         std::chrono::seconds timeout,
                                                         const std::string& json) const {
  StreamSocket socket = connect(timeout);
  const Clock::time_point deadline = Clock::now() + timeout;
  HTTPRequest request(HTTPRequest::HTTP_POST, versioned(path), HTTPMessage::HTTP_1_1);
  request.setHost("docker");
  request.setContentLength(static_cast<std::streamsize>(json.size()));
  if (!json.empty()) {
    request.setContentType("application/json");
  }
  std::ostringstream head;
  request.write(head);
  head << json;
  send_all(socket, head.str().data(), head.str().size(), deadline);

  // The response head, then the raw stream. Poco parses the head; we only find where it ends.
  std::string received;
  size_t end = std::string::npos;
  while ((end = received.find("\r\n\r\n")) == std::string::npos) {
    char buffer[4096];
    int n = 0;
    try {
      if (!socket.poll(remaining(deadline, "attaching to a container"),
                       Poco::Net::Socket::SELECT_READ)) {
        continue;
      }
      n = socket.receiveBytes(buffer, sizeof buffer);
    } catch (const Poco::Exception& e) {
      throw SandboxError(fmt::format("Docker engine: attach: {}", e.displayText()));
    }
    if (n <= 0 || received.size() > k_max_response_head) {
      throw SandboxError("Docker engine: attach: the connection closed before an answer");
    }
    received.append(buffer, static_cast<size_t>(n));
  }
  HTTPResponse response;
  try {
    std::istringstream in(received.substr(0, end + 4));
    response.read(in);
  } catch (const Poco::Exception& e) {
    throw SandboxError(fmt::format("Docker engine: attach: bad answer: {}", e.displayText()));
  }
  std::string rest = received.substr(end + 4);
  int status = static_cast<int>(response.getStatus());
  if (status != 200 && status != 101) {
    throw SandboxError(describe_failure("POST", path, Response{status, rest}));
  }
  return std::make_unique<AttachedConnection>(socket, std::move(rest));
}

}  // namespace sccache::sandbox_docker
