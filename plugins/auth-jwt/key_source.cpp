#include "key_source.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <sys/stat.h>

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

namespace sccache::auth_jwt {

namespace {

constexpr size_t k_max_jwks_bytes = 1 << 20;

KeyList parse_logged(std::string_view json, const std::string& origin, spdlog::logger& log) {
  std::vector<std::string> skipped;
  auto keys = std::make_shared<const std::vector<VerificationKey>>(parse_jwks(json, &skipped));
  for (const auto& line : skipped) {
    log.warn("JWKS {}: skipped {}", origin, line);
  }
  log.info("JWKS {}: {} signing key(s) loaded", origin, keys->size());
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
  return key_id.empty();
}

class FileKeySource final : public KeySource {
 public:
  FileKeySource(std::filesystem::path file, std::shared_ptr<spdlog::logger> log)
      : m_file(std::move(file)), m_log(std::move(log)) {
    std::lock_guard lock(m_mutex);
    if (!reload_if_changed()) {
      throw JwksError(m_error);
    }
  }

  KeyList keys(std::string_view) override {
    std::lock_guard lock(m_mutex);
    reload_if_changed();
    return m_keys;
  }

 private:
  struct Stamp {
    ino_t inode = 0;
    off_t size = -1;
    timespec mtime{};
    bool operator==(const Stamp& o) const {
      return inode == o.inode && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
             mtime.tv_nsec == o.mtime.tv_nsec;
    }
  };

  // Returns false (with m_error set) if the file could not be used; keeps the old keys then.
  bool reload_if_changed() {
    struct stat st {};
    if (::stat(m_file.c_str(), &st) != 0) {
      return note_failure("cannot read " + m_file.string() + ": " + std::strerror(errno));
    }
    const Stamp stamp{st.st_ino, st.st_size, st.st_mtim};
    if (m_keys && stamp == m_stamp) {
      return true;
    }
    m_stamp = stamp;
    std::ifstream in(m_file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      return note_failure("cannot read " + m_file.string());
    }
    if (text.size() > k_max_jwks_bytes) {
      return note_failure(m_file.string() + " is larger than 1 MiB");
    }
    try {
      m_keys = parse_logged(text, m_file.string(), *m_log);
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
  Stamp m_stamp;
  KeyList m_keys;
  std::string m_error;
};

std::string fetch(const Poco::URI& uri) {
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
  session->setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathAndQuery(),
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  request.set("Accept", "application/json");
  session->sendRequest(request);
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
  return text;
}

class UrlKeySource final : public KeySource {
 public:
  using Clock = std::chrono::steady_clock;

  UrlKeySource(std::string url, std::chrono::seconds refresh, std::chrono::seconds min_refetch,
               std::shared_ptr<spdlog::logger> log)
      : m_url(std::move(url)),
        m_refresh(refresh),
        m_min_refetch(min_refetch),
        m_log(std::move(log)) {
    std::lock_guard lock(m_fetch_mutex);
    refetch();
  }

  KeyList keys(std::string_view key_id) override {
    KeyList current = snapshot();
    const auto now = Clock::now();
    // A periodic refresh, or a retry while fetches fail, waits min_refetch after any attempt; a
    // token naming an unknown key (the provider rotated its keys) may re-fetch at once, then
    // not again for min_refetch, so tokens with made-up key ids cannot hammer the provider.
    const bool due = now - m_fetched_at.load() >= m_refresh || !current;
    const bool may_retry = now - m_attempted_at.load() >= m_min_refetch;
    const bool unknown = !contains_key_id(current, key_id);
    const bool may_chase = now - m_chased_at.load() >= m_min_refetch;
    if ((due && may_retry) || (unknown && may_chase)) {
      // One fetch at a time; other threads go on with the keys they have.
      std::unique_lock lock(m_fetch_mutex, std::try_to_lock);
      if (lock.owns_lock()) {
        if (unknown && may_chase) {
          m_chased_at = now;
        }
        refetch();
        current = snapshot();
      }
    }
    return current;
  }

 private:
  KeyList snapshot() {
    std::lock_guard lock(m_keys_mutex);
    return m_keys;
  }

  // Called with m_fetch_mutex held.
  void refetch() {
    m_attempted_at = Clock::now();
    try {
      KeyList keys = parse_logged(fetch(Poco::URI(m_url)), m_url, *m_log);
      {
        std::lock_guard lock(m_keys_mutex);
        m_keys = std::move(keys);
      }
      m_fetched_at = Clock::now();
    } catch (const Poco::Exception& e) {  // what() is only the class name; say more
      m_log->error("JWKS {}: cannot fetch the keys: {}{}", m_url, e.displayText(),
                   snapshot() ? " (keeping the previous keys)" : "");
    } catch (const std::exception& e) {
      m_log->error("JWKS {}: cannot fetch the keys: {}{}", m_url, e.what(),
                   snapshot() ? " (keeping the previous keys)" : "");
    }
  }

  const std::string m_url;
  const std::chrono::seconds m_refresh;
  const std::chrono::seconds m_min_refetch;
  const std::shared_ptr<spdlog::logger> m_log;
  std::mutex m_fetch_mutex;
  std::mutex m_keys_mutex;
  KeyList m_keys;  // guarded by m_keys_mutex
  std::atomic<Clock::time_point> m_fetched_at{Clock::time_point{}};
  std::atomic<Clock::time_point> m_attempted_at{Clock::time_point{}};
  std::atomic<Clock::time_point> m_chased_at{Clock::time_point{}};
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
