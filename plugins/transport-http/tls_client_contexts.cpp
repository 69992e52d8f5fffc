#include "transport-http/tls_client_contexts.hpp"

#include <utility>

#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "sccache/transport.hpp"

#include "transport-http/ssl_init.hpp"
#include "transport-http/tls_identity.hpp"

namespace sccache::transport_http {
namespace {

thread_local std::optional<std::string> t_rejected_fingerprint;

}  // namespace

struct TlsClientContexts::Entry {
  std::string pin;
  Poco::Net::Context::Ptr context;
};

namespace {

// Replaces OpenSSL's chain verification: accepts iff the leaf certificate's SHA-256 equals the pin
// (`arg` is the Entry's pin). Runs on the connecting thread during the handshake.
int verify_pinned_certificate(X509_STORE_CTX* store, void* arg) {
  const std::string& pin = *static_cast<const std::string*>(arg);
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  std::string seen = leaf != nullptr ? certificate_sha256(leaf) : std::string();
  if (!seen.empty() && seen.size() == pin.size() &&
      CRYPTO_memcmp(seen.data(), pin.data(), pin.size()) == 0) {
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
  }
  t_rejected_fingerprint = seen.empty() ? std::string("(no certificate)") : seen;
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return 0;
}

}  // namespace

std::string normalize_pin(std::string_view pin) {
  std::string out;
  for (char c : pin) {
    if (c == ':') {
      continue;
    }
    char lower = (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
    if (!((lower >= '0' && lower <= '9') || (lower >= 'a' && lower <= 'f'))) {
      throw TransportError(
          fmt::format("pinned certificate fingerprint \"{}\" is not a hex SHA-256 digest", pin));
    }
    out.push_back(lower);
  }
  if (out.size() != 64) {
    throw TransportError(fmt::format(
        "pinned certificate fingerprint \"{}\" is not a SHA-256 digest (64 hex digits)", pin));
  }
  return out;
}

TlsClientContexts::TlsClientContexts(std::filesystem::path ca_file, std::filesystem::path ca_dir)
    : m_ca_file(std::move(ca_file)), m_ca_dir(std::move(ca_dir)) {}
TlsClientContexts::~TlsClientContexts() = default;

Poco::Net::Context::Ptr TlsClientContexts::pinned(const std::string& pin) {
  std::lock_guard lock(m_mutex);
  if (auto it = m_entries.find(pin); it != m_entries.end()) {
    return it->second->context;
  }
  ensure_ssl_initialized();
  auto entry = std::make_unique<Entry>();
  entry->pin = pin;
  try {
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
    params.loadDefaultCAs = false;
    params.cipherList = k_tls12_ciphers;
    entry->context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    entry->context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    // No hostname check: build servers are reached by address and identified by the pin.
    entry->context->enableExtendedCertificateVerification(false);
  } catch (const Poco::Exception& e) {
    throw TransportError(fmt::format("cannot create a TLS client context: {}", e.displayText()));
  }
  SSL_CTX_set_cert_verify_callback(entry->context->sslContext(), &verify_pinned_certificate,
                                   &entry->pin);
  Poco::Net::Context::Ptr context = entry->context;
  m_entries.emplace(pin, std::move(entry));
  return context;
}

Poco::Net::Context::Ptr TlsClientContexts::ca_verified(const std::string& host) {
  const std::string key = "host:" + host;  // pins are hex digits only, so keys never collide
  std::lock_guard lock(m_mutex);
  if (auto it = m_entries.find(key); it != m_entries.end()) {
    return it->second->context;
  }
  ensure_ssl_initialized();
  auto entry = std::make_unique<Entry>();
  try {
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.loadDefaultCAs = m_ca_file.empty() && m_ca_dir.empty();
    params.cipherList = k_public_tls12_ciphers;
    entry->context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    entry->context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    if (!params.loadDefaultCAs) {
      // As OpenSSL reads SSL_CERT_FILE and SSL_CERT_DIR: each replaces its default alone.
      const std::string file =
          m_ca_file.empty() ? X509_get_default_cert_file() : m_ca_file.string();
      const std::string dir = m_ca_dir.empty() ? X509_get_default_cert_dir() : m_ca_dir.string();
      if (SSL_CTX_load_verify_locations(entry->context->sslContext(), file.c_str(), dir.c_str()) !=
              1 &&
          SSL_CTX_load_verify_locations(entry->context->sslContext(), nullptr, dir.c_str()) != 1) {
        throw TransportError(fmt::format("cannot load the trusted CAs from {} or {}", file, dir));
      }
    }
  } catch (const Poco::Exception& e) {
    throw TransportError(fmt::format("cannot create a TLS client context: {}", e.displayText()));
  }
  // Poco's own name check skips "localhost" and matches names through DNS: OpenSSL checks the
  // exact name (or address) instead.
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(entry->context->sslContext());
  Poco::Net::IPAddress address;
  const bool name_set = Poco::Net::IPAddress::tryParse(host, address)
                            ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1
                            : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0) == 1;
  if (!name_set) {
    throw TransportError(fmt::format("cannot check TLS certificates for the name \"{}\"", host));
  }
  Poco::Net::Context::Ptr context = entry->context;
  m_entries.emplace(key, std::move(entry));
  return context;
}

std::optional<std::string> TlsClientContexts::take_rejected_fingerprint() {
  return std::exchange(t_rejected_fingerprint, std::nullopt);
}

}  // namespace sccache::transport_http
