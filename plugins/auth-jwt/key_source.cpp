#include "auth-jwt/key_source.hpp"

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <sys/socket.h>
#include <thread>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/URI.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <spdlog/spdlog.h>

#include "sccache/file_stamp.hpp"

namespace sccache::auth_jwt {

namespace {

constexpr size_t k_max_jwks_bytes = 1 << 20;

// Parses a JWKS document; one that holds no usable key yields an empty list (every token is then
// refused): an operator emptying the set, or a provider publishing none, means "trust nobody".
KeyList parse_logged(std::string_view json, const std::string& origin, spdlog::logger& log) {
  std::vector<std::string> skipped;
  auto keys = std::make_shared<const std::vector<VerificationKey>>(parse_jwks(json, &skipped));
  for (const auto& line : skipped) {
    log.warn("JWKS {}: skipped {}", origin, line);
  }
  if (keys->empty()) {
    log.error("JWKS {}: no usable RS256 or ES256 signing key; every client token is refused",
              origin);
  } else {
    log.info("JWKS {}: {} signing key(s) loaded", origin, keys->size());
  }
  return keys;
}

bool contains_key_id(const KeyList& keys, std::string_view key_id) {
  if (!keys) {
    return false;
  }
  for (const auto& key : *keys) {
    if (key.key_id == key_id) {
      return true;
    }
  }
  return key_id.empty() && !keys->empty();
}

// A URL as it may be logged: no user info, no query (either may hold a credential).
std::string loggable_url(const std::string& url) {
  try {
    Poco::URI uri(url);
    uri.setUserInfo("");
    uri.setQuery("");
    uri.setFragment("");
    return uri.toString();
  } catch (const Poco::Exception&) {
    return "(unparsable URL)";
  }
}

class FileKeySource final : public KeySource {
 public:
  FileKeySource(std::filesystem::path file, std::shared_ptr<spdlog::logger> log)
      : m_file(std::move(file)), m_log(std::move(log)) {
    std::lock_guard lock(m_mutex);
    if (!reload_if_changed()) {
      throw JwksError(m_error);
    }
    if (m_keys->empty()) {  // at start this is a configuration mistake, not a revocation
      throw JwksError(m_file.string() + ": no usable RS256 or ES256 signing key");
    }
  }

  KeyList keys(std::string_view) override {
    std::lock_guard lock(m_mutex);
    reload_if_changed();
    return m_keys;
  }

 private:
  // Returns false (with m_error set) if the file could not be used: unreadable, not a regular
  // file, too large, or not a JWKS at all (a half-written edit). The old keys stay then. A JWKS
  // that parses replaces them, even when it holds no usable key.
  bool reload_if_changed() {
    const std::optional<FileStamp> stamp = FileStamp::of(m_file);
    if (!stamp) {
      return note_failure("cannot read " + m_file.string() + ": " + std::strerror(errno));
    }
    if (!stamp->regular) {
      return note_failure(m_file.string() + " is not a regular file");
    }
    if (m_keys && stamp == m_stamp) {
      return true;
    }
    m_stamp = stamp;
    if (static_cast<size_t>(stamp->size) > k_max_jwks_bytes) {
      return note_failure(m_file.string() + " is larger than 1 MiB");
    }
    std::ifstream in(m_file, std::ios::binary);
    std::string text(k_max_jwks_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) {
      return note_failure("cannot read " + m_file.string());
    }
    text.resize(static_cast<size_t>(in.gcount()));
    if (text.size() > k_max_jwks_bytes) {  // grew between stat and read
      return note_failure(m_file.string() + " is larger than 1 MiB");
    }
    try {
      m_keys = parse_logged(text, m_file.string(), *m_log);
      m_error.clear();
      return true;
    } catch (const JwksError& e) {
      return note_failure(m_file.string() + ": " + e.what());
    }
  }

  bool note_failure(std::string error) {
    if (error != m_error && m_keys) {
      m_log->error("JWKS {} (keeping the previous keys)", error);
    }
    m_error = std::move(error);
    return false;
  }

  const std::filesystem::path m_file;
  const std::shared_ptr<spdlog::logger> m_log;
  std::mutex m_mutex;
  std::optional<FileStamp> m_stamp;
  KeyList m_keys;
  std::string m_error;
};

// Lets another thread cut a fetch short: shutting the connected socket down makes a read that
// is blocked in it return at once (::shutdown is safe to call while another thread reads).
class FetchCancel {
 public:
  // Called by the fetch once connected; throws if the fetch was cancelled already.
  void attach(Poco::Net::HTTPClientSession& session) {
    std::lock_guard lock(m_mutex);
    if (m_cancelled) {
      throw JwksError("the fetch took too long and was cancelled");
    }
    m_fd = session.socket().impl()->sockfd();
  }
  void detach() {
    std::lock_guard lock(m_mutex);
    m_fd = -1;
  }
  void cancel() {
    std::lock_guard lock(m_mutex);
    m_cancelled = true;
    if (m_fd >= 0) {
      ::shutdown(m_fd, SHUT_RDWR);
    }
  }

 private:
  std::mutex m_mutex;
  int m_fd = -1;
  bool m_cancelled = false;
};

// GETs `uri`. Each network step times out after 5 s; `cancel` can end it sooner.
std::string fetch(const Poco::URI& uri, FetchCancel& cancel) {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (uri.getScheme() == "https") {
    static std::once_flag ssl_once;
    std::call_once(ssl_once, [] { Poco::Net::initializeSSL(); });
    Poco::Net::Context::Ptr context = new Poco::Net::Context(
        Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_STRICT, 9, true);
    // Poco skips its own name check for "localhost" and may match names through DNS; have
    // OpenSSL check the certificate against the URL's host exactly, during the handshake.
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(context->sslContext());
    Poco::Net::IPAddress ip;
    const bool name_set = Poco::Net::IPAddress::tryParse(uri.getHost(), ip)
                              ? X509_VERIFY_PARAM_set1_ip_asc(param, uri.getHost().c_str()) == 1
                              : X509_VERIFY_PARAM_set1_host(param, uri.getHost().c_str(), 0) == 1;
    if (!name_set) {
      throw JwksError("cannot set up the TLS name check for " + uri.getHost());
    }
    session =
        std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
  } else {
    session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
  }
  const Poco::Timespan step(5, 0);
  session->setTimeout(step, step, step);
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathAndQuery(),
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("Accept", "application/json");
  session->sendRequest(request);
  cancel.attach(*session);
  struct Detach {
    FetchCancel& cancel;
    ~Detach() { cancel.detach(); }
  } detach{cancel};  // before the session closes its socket
  Poco::Net::HTTPResponse response;
  std::istream& body = session->receiveResponse(response);
  if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
    throw JwksError("HTTP status " + std::to_string(response.getStatus()));
  }
  std::string text;
  char buffer[8192];
  while (body.read(buffer, sizeof buffer) || body.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(body.gcount()));
    if (text.size() > k_max_jwks_bytes) {
      throw JwksError("the document is larger than 1 MiB");
    }
  }
  if (body.bad()) {
    throw JwksError("the connection broke while reading the document");
  }
  return text;
}

// Fetches on a thread of its own, so a slow or stalled provider never holds a request thread for
// longer than k_chase_wait: requests only read the current keys, and one that names an unknown key
// id asks for a fetch (at most once per min_refetch) and waits for it that long at most.
class UrlKeySource final : public KeySource {
 public:
  using Clock = std::chrono::steady_clock;

  UrlKeySource(std::string url, std::chrono::seconds refresh, std::chrono::seconds min_refetch,
               std::shared_ptr<spdlog::logger> log)
      : m_url(std::move(url)),
        m_label(loggable_url(m_url)),
        m_refresh(refresh),
        m_min_refetch(min_refetch),
        m_log(std::move(log)) {
    install(fetch_once());  // at start, on the caller's thread
    m_worker = std::thread([this] { run(); });
  }

  ~UrlKeySource() override {
    {
      std::lock_guard lock(m_mutex);
      m_stopping = true;
      if (m_cancel) {
        m_cancel->cancel();
      }
    }
    m_wake.notify_all();
    m_worker.join();
  }

  KeyList keys(std::string_view key_id) override {
    std::unique_lock lock(m_mutex);
    if (contains_key_id(m_keys, key_id)) {
      return m_keys;
    }
    // The provider may have rotated its keys: fetch again, unless a recent token already asked
    // (made-up key ids must not make the scheduler hammer the provider).
    const auto now = Clock::now();
    if (now - m_chased_at >= m_min_refetch) {
      m_chased_at = now;
      const uint64_t wanted = m_completed + (m_fetching ? 2 : 1);
      m_fetch_requested = true;
      m_wake.notify_all();
      m_fetched.wait_for(lock, k_chase_wait, [&] { return m_completed >= wanted || m_stopping; });
    }
    return m_keys;
  }

 private:
  static constexpr auto k_chase_wait = std::chrono::seconds(3);
  static constexpr auto k_fetch_deadline = std::chrono::seconds(20);

  // The worker: a periodic refresh (every refresh; every min_refetch while fetches fail), and
  // the fetches requests ask for.
  void run() {
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
      const auto next = m_attempted_at + (m_last_failed ? m_min_refetch : m_refresh);
      m_wake.wait_until(lock, next, [&] { return m_stopping || m_fetch_requested; });
      if (m_stopping) {
        break;
      }
      if (!m_fetch_requested && Clock::now() < next) {
        continue;  // spurious wake-up
      }
      m_fetch_requested = false;
      m_fetching = true;
      lock.unlock();
      std::optional<KeyList> keys = fetch_once();
      install(std::move(keys));
      lock.lock();
      m_fetching = false;
      ++m_completed;
      m_fetched.notify_all();
    }
  }

  // Fetches and parses the document within k_fetch_deadline (a provider that drips its answer
  // is cut off); nullopt (logged) if that failed. The destructor cancels a fetch in progress.
  std::optional<KeyList> fetch_once() {
    auto cancel = std::make_shared<FetchCancel>();
    {
      std::lock_guard lock(m_mutex);
      if (m_stopping) {
        return std::nullopt;
      }
      m_cancel = cancel;
    }
    auto attempt = std::async(std::launch::async, [this, cancel]() -> std::optional<KeyList> {
      try {
        return parse_logged(fetch(Poco::URI(m_url), *cancel), m_label, *m_log);
      } catch (const Poco::Exception& e) {  // what() is only the class name; say more
        log_failure(e.displayText());
      } catch (const std::exception& e) {
        log_failure(e.what());
      }
      return std::nullopt;
    });
    if (attempt.wait_for(k_fetch_deadline) == std::future_status::timeout) {
      cancel->cancel();
    }
    std::optional<KeyList> keys = attempt.get();
    std::lock_guard lock(m_mutex);
    m_cancel.reset();
    return keys;
  }

  void install(std::optional<KeyList> keys) {
    std::lock_guard lock(m_mutex);
    m_attempted_at = Clock::now();
    m_last_failed = !keys.has_value();
    if (keys) {
      m_keys = std::move(*keys);
    }
  }

  void log_failure(const std::string& why) {
    bool keeping = false;
    {
      std::lock_guard lock(m_mutex);
      keeping = m_keys && !m_keys->empty();
    }
    m_log->error("JWKS {}: cannot fetch the keys: {}{}", m_label, why,
                 keeping ? " (keeping the previous keys)" : "");
  }

  const std::string m_url;
  const std::string m_label;  // m_url without credentials, for logs
  const std::chrono::seconds m_refresh;
  const std::chrono::seconds m_min_refetch;
  const std::shared_ptr<spdlog::logger> m_log;
  std::mutex m_mutex;
  std::condition_variable m_wake;     // the worker: stop, or a fetch was asked for
  std::condition_variable m_fetched;  // requests: a fetch completed
  KeyList m_keys;                     // guarded by m_mutex, as are the fields below
  Clock::time_point m_attempted_at{};
  Clock::time_point m_chased_at{};
  bool m_last_failed = false;
  bool m_fetch_requested = false;
  bool m_fetching = false;
  bool m_stopping = false;
  uint64_t m_completed = 0;
  std::shared_ptr<FetchCancel> m_cancel;  // the fetch in progress, if any
  std::thread m_worker;                   // last: started once everything above is initialised
};

}  // namespace

std::unique_ptr<KeySource> make_file_key_source(std::filesystem::path file,
                                                std::shared_ptr<spdlog::logger> log) {
  return std::make_unique<FileKeySource>(std::move(file), std::move(log));
}

std::unique_ptr<KeySource> make_url_key_source(std::string url, std::chrono::seconds refresh,
                                               std::chrono::seconds min_refetch,
                                               std::shared_ptr<spdlog::logger> log) {
  return std::make_unique<UrlKeySource>(std::move(url), refresh, min_refetch, std::move(log));
}

}  // namespace sccache::auth_jwt
