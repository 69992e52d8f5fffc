#include "client/cache/redis_store.hpp"

#include <algorithm>
#include <cerrno>
#include <sys/socket.h>
#include <utility>

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Redis/Array.h>
#include <Poco/Redis/Command.h>
#include <Poco/Redis/Error.h>
#include <Poco/Redis/RedisStream.h>
#include <Poco/Redis/Type.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace sccache::cache {

namespace {

using Clock = std::chrono::steady_clock;
using Poco::Redis::RedisType;

constexpr size_t k_max_idle = 8;
constexpr size_t k_max_value = size_t{512} << 20;  // Redis' proto-max-bulk-len default

// An exchange that did not complete, as Connection reports it.
struct Failed {
  bool timed_out = false;
  std::string message;
};

Poco::Timespan timespan(std::chrono::milliseconds duration) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(duration.count()) * 1000);
}

std::string redact(std::string text, const std::string& secret) {
  if (secret.empty()) {
    return text;
  }
  constexpr std::string_view k_redacted = "<redacted>";
  for (size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + k_redacted.size())) {
    text.replace(at, secret.size(), k_redacted);
  }
  return text;
}

template <class T>
T& reply_as(RedisType::Ptr& reply, std::string_view command) {
  auto* typed = dynamic_cast<Poco::Redis::Type<T>*>(reply.get());
  if (typed == nullptr) {
    throw Failed{false, fmt::format("unexpected reply to {}", command)};
  }
  return typed->value();
}

}  // namespace

// One connection to Redis. Commands are encoded by Poco::Redis::Array and replies decoded by
// Poco::Redis::RedisType, over a socket of our own: Poco::Redis::Client keeps its socket private
// (no send timeout: a large SET to a hung server blocks forever) and its stream swallows socket
// errors (a GET cut short would come back as a value padded with blanks).
class RedisStore::Connection {
 public:
  explicit Connection(const RedisConfig& config) : m_input(m_socket), m_timeout(config.timeout) {
    m_socket.connect(Poco::Net::SocketAddress(config.host, config.port), timespan(m_timeout));
    m_socket.setSendTimeout(timespan(m_timeout));
    m_socket.setReceiveTimeout(timespan(m_timeout));
    m_socket.setNoDelay(true);
    if (!config.password.empty()) {
      Poco::Redis::Command auth("AUTH");
      if (!config.username.empty()) {
        auth << config.username;
      }
      auth << config.password;
      expect_ok(auth, "AUTH");
    }
    if (config.db != 0) {
      Poco::Redis::Command select("SELECT");
      select << std::to_string(config.db);
      expect_ok(select, "SELECT");
    }
  }

  // The reply to `command`. Throws Failed (a Redis error reply too) or a Poco exception.
  RedisType::Ptr execute(const Poco::Redis::Array& command) {
    send_all(command.toString());
    return read_reply();
  }

 private:
  void expect_ok(const Poco::Redis::Array& command, std::string_view name) {
    RedisType::Ptr reply = execute(command);
    if (reply_as<std::string>(reply, name) != "OK") {
      throw Failed{false, fmt::format("unexpected reply to {}", name)};
    }
  }

  void send_all(const std::string& request) {
    for (size_t sent = 0; sent < request.size();) {
      const int chunk = static_cast<int>(std::min<size_t>(request.size() - sent, 1 << 30));
      int n = 0;
      try {
        n = m_socket.sendBytes(request.data() + sent, chunk, MSG_NOSIGNAL);
      } catch (const Poco::IOException& e) {
        // The send timeout: Poco 1.11 reports the EAGAIN as a plain I/O error.
        if (e.code() == EAGAIN || e.code() == EWOULDBLOCK) {
          throw Failed{true, fmt::format("sending stalled for {} ms", m_timeout.count())};
        }
        throw;
      }
      if (n <= 0) {
        throw Failed{false, "connection closed while sending"};
      }
      sent += static_cast<size_t>(n);
    }
  }

  RedisType::Ptr read_reply() {
    if (m_input.rdbuf()->in_avail() <= 0 &&
        !m_socket.poll(timespan(m_timeout), Poco::Net::Socket::SELECT_READ)) {
      throw Failed{true, fmt::format("no reply within {} ms", m_timeout.count())};
    }
    const auto start = Clock::now();
    RedisType::Ptr reply;
    try {
      reply = RedisType::createRedisType(static_cast<char>(m_input.get()));
      if (!reply.isNull()) {
        reply->read(m_input);
      }
    } catch (const Poco::Exception& e) {
      if (m_input) {
        throw Failed{false, "unreadable reply: " + e.displayText()};
      }
    }
    if (!m_input) {
      // The stream turns its socket's exceptions into end of file: a receive that waited out
      // the timeout was a timeout.
      if (Clock::now() - start >= m_timeout) {
        throw Failed{true, fmt::format("reply stalled for {} ms", m_timeout.count())};
      }
      throw Failed{false, "connection closed by the server"};
    }
    if (reply.isNull()) {
      throw Failed{false, "unreadable reply"};
    }
    if (reply->type() == RedisType::REDIS_ERROR) {
      throw Failed{false, reply_as<Poco::Redis::Error>(reply, "").getMessage()};
    }
    return reply;
  }

  Poco::Net::StreamSocket m_socket;
  Poco::Redis::RedisInputStream m_input;  // reads m_socket
  std::chrono::milliseconds m_timeout;
};

RedisStore::RedisStore(RedisConfig config) : m_config(std::move(config)) {}

RedisStore::~RedisStore() = default;

std::string RedisStore::redis_key(std::string_view key) const {
  std::string name;
  std::string_view prefix = m_config.key_prefix;
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.remove_suffix(1);
  }
  if (!prefix.empty()) {
    name.append(prefix).push_back('/');
  }
  for (size_t i = 0; i < 3 && i < key.size(); ++i) {
    name.push_back(key[i]);
    name.push_back('/');
  }
  name.append(key);
  return name;
}

ReadResult RedisStore::get(std::string_view key) {
  ReadResult result;
  const Attempt attempt = this->attempt("GET", [&](Connection& connection) {
    RedisType::Ptr reply = connection.execute(Poco::Redis::Command::get(redis_key(key)));
    auto& value = reply_as<Poco::Redis::BulkString>(reply, "GET");
    if (value.isNull()) {
      result.status = ReadStatus::miss;
    } else {
      result.status = ReadStatus::hit;
      result.bytes = std::move(value.value());
    }
  });
  if (!attempt.done) {
    result.status = attempt.timed_out ? ReadStatus::timeout : ReadStatus::error;
    result.bytes.clear();
    result.error = attempt.error;
  }
  return result;
}

WriteResult RedisStore::put(std::string_view key, std::string_view bytes) {
  if (m_config.read_only) {
    return {WriteStatus::skipped, {}};
  }
  if (bytes.size() > k_max_value) {
    return {WriteStatus::skipped, fmt::format("{} bytes: above Redis' limit", bytes.size())};
  }
  const char* name = m_config.ttl_seconds > 0 ? "SETEX" : "SET";
  Poco::Redis::Command command(name);
  command << redis_key(key);
  if (m_config.ttl_seconds > 0) {
    command << std::to_string(m_config.ttl_seconds);
  }
  command << std::string(bytes);
  const Attempt attempt = this->attempt(name, [&](Connection& connection) {
    RedisType::Ptr reply = connection.execute(command);
    if (reply_as<std::string>(reply, name) != "OK") {
      throw Failed{false, fmt::format("unexpected reply to {}", name)};
    }
  });
  if (!attempt.done) {
    return {attempt.timed_out ? WriteStatus::timeout : WriteStatus::error, attempt.error};
  }
  return {WriteStatus::stored, {}};
}

void RedisStore::remove(std::string_view key) {
  if (m_config.read_only) {
    return;
  }
  const Attempt attempt = this->attempt("DEL", [&](Connection& connection) {
    connection.execute(Poco::Redis::Command::del(redis_key(key)));
  });
  if (!attempt.done) {
    spdlog::debug("redis cache: could not remove {}: {}", key, attempt.error);
  }
}

std::string RedisStore::location() const {
  const bool ipv6 = m_config.host.find(':') != std::string::npos;
  return fmt::format("Redis: redis://{}{}{}:{}/{}", ipv6 ? "[" : "", m_config.host, ipv6 ? "]" : "",
                     m_config.port, m_config.db);
}

RedisStore::Attempt RedisStore::attempt(std::string_view command,
                                        const std::function<void(Connection&)>& exchange) {
  {
    std::lock_guard lock(m_mutex);
    const auto now = Clock::now();
    if (now < m_retry_at) {
      const std::chrono::duration<double> left = m_retry_at - now;
      return {false, false, fmt::format("redis unavailable (retrying in {:.1f} s)", left.count())};
    }
  }
  for (int round = 0;; ++round) {
    std::unique_ptr<Connection> connection = round == 0 ? take_idle() : nullptr;
    const bool reused = connection != nullptr;
    Failed failure;
    try {
      if (!connection) {
        connection = std::make_unique<Connection>(m_config);
      }
      exchange(*connection);
      give_back(std::move(connection));
      return {true, false, {}};
    } catch (const Failed& e) {
      failure = e;
    } catch (const Poco::TimeoutException& e) {
      failure = {true, e.displayText()};
    } catch (const Poco::Exception& e) {
      failure = {false, e.displayText()};
    } catch (const std::exception& e) {
      failure = {false, e.what()};
    }
    // A pooled connection may have been closed by the server since its last use.
    if (reused && !failure.timed_out) {
      continue;
    }
    return failed(command, failure.timed_out, std::move(failure.message));
  }
}

RedisStore::Attempt RedisStore::failed(std::string_view command, bool timed_out,
                                       std::string message) {
  std::vector<std::unique_ptr<Connection>> idle;  // closed outside the lock
  {
    std::lock_guard lock(m_mutex);
    m_retry_at = Clock::now() + m_config.retry_after;
    idle.swap(m_idle);
  }
  message = redact(fmt::format("redis {}: {}", command, message), m_config.password);
  spdlog::debug("redis cache at {}:{}: {} (left alone for {} ms)", m_config.host, m_config.port,
                message, m_config.retry_after.count());
  return {false, timed_out, std::move(message)};
}

std::unique_ptr<RedisStore::Connection> RedisStore::take_idle() {
  std::lock_guard lock(m_mutex);
  if (m_idle.empty()) {
    return nullptr;
  }
  std::unique_ptr<Connection> connection = std::move(m_idle.back());
  m_idle.pop_back();
  return connection;
}

void RedisStore::give_back(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(m_mutex);
  if (m_idle.size() < k_max_idle) {
    m_idle.push_back(std::move(connection));
  }
}

}  // namespace sccache::cache
