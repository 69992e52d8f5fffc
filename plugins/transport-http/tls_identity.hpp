// The server's TLS identity: a fresh ECDSA P-256 key and a self-signed X.509 v3 certificate,
// generated at every start, and the TLS context that serves it.
//
// Why ECDSA P-256: a handshake signature costs ~0.02 ms against ~0.24 ms for RSA-2048, and key
// generation is instant, so a fresh key per start is free.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <Poco/Crypto/EVPPKey.h>
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/Net/Context.h>
#include <openssl/x509.h>

#include "sccache/transport.hpp"

namespace sccache::transport_http {

// TLS 1.2 suites for an ECDSA certificate, all with forward secrecy and server authentication (no
// anonymous suites, which would skip the certificate and so the pin). TLS 1.3 suites always
// authenticate the server with its certificate.
inline constexpr const char* k_tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305";
// TLS 1.2 suites a client accepts from a CA-certified server (a reverse proxy's RSA or ECDSA
// certificate): forward secrecy and AEAD only.
inline constexpr const char* k_public_tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

struct ServerTlsMaterial {
  Poco::Crypto::X509Certificate certificate;
  Poco::Crypto::EVPPKey key;
  TlsIdentity identity;  // PEM and SHA-256 fingerprint of `certificate`
  // An operator's certificate (any key type, possibly with intermediates) rather than our own
  // self-signed ECDSA one: it is served with the broader k_public_tls12_ciphers.
  bool from_operator = false;
  std::vector<Poco::Crypto::X509Certificate> chain;  // intermediates, leaf excluded
};

// A new key and certificate: random 128-bit serial, valid from an hour ago for 365 days, CN = the
// first name, subjectAltName = every name (IP: if it parses as an address, else DNS:), CA:FALSE,
// keyUsage digitalSignature, extendedKeyUsage serverAuth, signed with SHA-256.
// Throws TransportError if OpenSSL fails.
ServerTlsMaterial generate_tls_identity(const std::vector<std::string>& names);

// An operator's certificate and key: `certificate_file` holds PEM certificates, the server's
// first, then any intermediates; `key_file` its unencrypted PEM private key. Throws
// TransportError naming the file when either cannot be read or the key does not match.
ServerTlsMaterial load_tls_identity(const std::filesystem::path& certificate_file,
                                    const std::filesystem::path& key_file);

// A server context serving `material`, TLS 1.2+, no client certificates. Throws TransportError.
Poco::Net::Context::Ptr make_server_context(const ServerTlsMaterial& material);

// Lowercase hex SHA-256 of the certificate's DER form; empty if it cannot be computed.
std::string certificate_sha256(X509* certificate);

}  // namespace sccache::transport_http
