// Client TLS contexts, two kinds:
// - pinned: accepts exactly one server certificate, the one whose DER form has the pinned
//   SHA-256. Build servers use self-signed certificates whose fingerprint the scheduler hands
//   out, so there is no CA and no hostname check; the pin is the whole trust decision.
// - CA-verified, for an endpoint without a pin (a scheduler behind a TLS reverse proxy): the
//   system's trusted CAs (OpenSSL's default paths, so SSL_CERT_FILE / SSL_CERT_DIR apply), and
//   OpenSSL checks during the handshake that the certificate names the host exactly.
//
// Threads: thread-safe. Ownership: the cache owns the contexts and the pins their verify callbacks
// read, so it must outlive every session created with one of its contexts.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <Poco/Net/Context.h>

namespace sccache::transport_http {

// Lowercases `pin` and drops ':' separators; throws TransportError unless the result is 64 hex
// digits.
std::string normalize_pin(std::string_view pin);

class TlsClientContexts {
 public:
  // `ca_file`, `ca_dir`: what CA-verified contexts trust instead of OpenSSL's default file and
  // directory (either may be empty: that one stays the default).
  TlsClientContexts(std::filesystem::path ca_file = {}, std::filesystem::path ca_dir = {});
  ~TlsClientContexts();

  // The context for a normalised pin, created on first use. Throws TransportError if OpenSSL
  // cannot set it up.
  Poco::Net::Context::Ptr pinned(const std::string& pin);
  // The CA-verified context for `host` (a DNS name or an IP address), created on first use.
  Poco::Net::Context::Ptr ca_verified(const std::string& host);

  // The fingerprint of the last certificate this thread rejected for not matching its pin, and
  // forgets it; nullopt if none since the last call. (The handshake runs on the thread that
  // connects, so a send() can tell a pin mismatch apart from other TLS failures.)
  static std::optional<std::string> take_rejected_fingerprint();

 private:
  struct Entry;
  const std::filesystem::path m_ca_file;
  const std::filesystem::path m_ca_dir;
  std::mutex m_mutex;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> m_entries;
};

}  // namespace sccache::transport_http
