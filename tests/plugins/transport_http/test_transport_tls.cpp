// transport-http over TLS: the per-start ECDSA certificate and fingerprint pinning, and
// CA-verified TLS for endpoints without a pin.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "plugins/transport_http/transport_fixture.hpp"

using namespace transport_test;

TEST_CASE("TLS with a self-signed ECDSA certificate and pinning") {
  Env env;
  sccache::ServerOptions options;
  options.tls = true;
  options.tls_names = {"127.0.0.1", "build-1.example"};
  auto server = env.server(options);
  add_ping(*server);
  server->start();

  std::optional<sccache::TlsIdentity> identity = server->tls_identity();
  REQUIRE(identity.has_value());
  CHECK(identity->certificate_pem.find("BEGIN CERTIFICATE") != std::string::npos);
  CHECK(std::regex_match(identity->certificate_sha256, std::regex("[0-9a-f]{64}")));

  BIO* bio = BIO_new_mem_buf(identity->certificate_pem.data(),
                             static_cast<int>(identity->certificate_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(cert != nullptr);
  EVP_PKEY* key = X509_get0_pubkey(cert);
  REQUIRE(key != nullptr);
  CHECK(EVP_PKEY_get_base_id(key) == EVP_PKEY_EC);
  CHECK(EVP_PKEY_get_bits(key) == 256);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  REQUIRE(X509_digest(cert, EVP_sha256(), digest, &digest_size) == 1);
  CHECK(digest_size == 32);
  CHECK(X509_check_ip_asc(cert, "127.0.0.1", 0) == 1);
  CHECK(X509_check_host(cert, "build-1.example", 0, 0, nullptr) == 1);
  X509_free(cert);

  auto client = env.client();
  Endpoint endpoint{true, "127.0.0.1", server->port(), identity->certificate_sha256};
  for (int i = 0; i < 3; ++i) {
    expect_ping(*client, endpoint);
  }

  Endpoint wrong = endpoint;
  wrong.pinned_sha256 = std::string(64, '0');
  try {
    client->send(wrong, request("GET", "/ping"));
    FAIL("a wrong pin was accepted");
  } catch (const TransportError& e) {
    CHECK(std::string(e.what()).find("fingerprint") != std::string::npos);
  }

  Endpoint no_pin = endpoint;
  no_pin.pinned_sha256.clear();
  CHECK_THROWS_AS(client->send(no_pin, request("GET", "/ping")), TransportError);

  ClientRequest quick = request("GET", "/ping");
  quick.timeout = 3s;
  auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(client->send(local(*server), quick), TransportError);
  CHECK(std::chrono::steady_clock::now() - started < 10s);

  // Stopping does not wait for the client's idle keep-alive connection.
  started = std::chrono::steady_clock::now();
  server->stop();
  CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("TLS without a pin: the certificate must be trusted and name the host") {
  Env env;
  sccache::ServerOptions options;
  options.tls = true;
  options.tls_names = {"127.0.0.1"};
  auto server = env.server(options);
  add_ping(*server);
  server->start();
  const Endpoint by_address{true, "127.0.0.1", server->port(), ""};

  SECTION("a certificate the trust store does not know is refused") {
    try {
      env.client()->send(by_address, request("GET", "/ping"));
      FAIL("an untrusted certificate was accepted");
    } catch (const TransportError& e) {
      CHECK(std::string(e.what()).find("127.0.0.1") != std::string::npos);
    }
  }
  SECTION("a trusted certificate for the host is accepted") {
    sccache::test::write_file(env.temp / "ca.pem", server->tls_identity()->certificate_pem);
    sccache::test::ScopedEnv trust("SSL_CERT_FILE", (env.temp / "ca.pem").string());
    auto client = env.client();
    expect_ping(*client, by_address);
    expect_ping(*client, by_address);  // and the connection is reused
  }
  SECTION("a trusted certificate for another name is refused, even for localhost") {
    sccache::test::write_file(env.temp / "ca.pem", server->tls_identity()->certificate_pem);
    sccache::test::ScopedEnv trust("SSL_CERT_FILE", (env.temp / "ca.pem").string());
    CHECK_THROWS_AS(env.client()->send(Endpoint{true, "localhost", server->port(), ""},
                                       request("GET", "/ping")),
                    TransportError);
  }
}

TEST_CASE("a TLS client against a plain server fails cleanly") {
  Env env;
  auto server = env.server();
  add_ping(*server);
  server->start();
  sccache::ClientOptions options;
  options.connect_timeout = 1s;
  auto client = env.client(options);
  Endpoint endpoint{true, "127.0.0.1", server->port(), std::string(64, 'a')};
  // The server may take the ClientHello for the start of a request and wait for more, so this
  // can end in a timeout, which Poco 1.11's TLS layer stretches (about connect_timeout + 4x
  // timeout).
  ClientRequest quick = request("GET", "/ping");
  quick.timeout = 1s;
  auto started = std::chrono::steady_clock::now();
  try {
    client->send(endpoint, quick);
    FAIL("a TLS handshake with a plain HTTP server succeeded");
  } catch (const TransportError& e) {
    INFO(e.what());
    CHECK(std::chrono::steady_clock::now() - started < 15s);
  }
}

namespace {

// An operator's certificate as a CA would issue one: RSA-2048, for 127.0.0.1, written as PEM
// files (certificate, unencrypted key). Self-signed here; the test trusts it directly.
void write_rsa_identity(const std::filesystem::path& certificate_file,
                        const std::filesystem::path& key_file) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  REQUIRE(key != nullptr);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 4711);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
  REQUIRE(san != nullptr);
  X509_add_ext(cert, san, -1);
  X509_EXTENSION_free(san);
  REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0);
  FILE* out = std::fopen(certificate_file.c_str(), "w");
  PEM_write_X509(out, cert);
  std::fclose(out);
  out = std::fopen(key_file.c_str(), "w");
  PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(out);
  X509_free(cert);
  EVP_PKEY_free(key);
}

}  // namespace

TEST_CASE("TLS with an operator's certificate and key from files") {
  Env env;
  const auto certificate = env.temp / "scheduler.pem";
  const auto key = env.temp / "scheduler.key";
  write_rsa_identity(certificate, key);
  sccache::ServerOptions options;
  options.tls = true;
  options.tls_certificate_file = certificate;
  options.tls_key_file = key;
  auto server = env.server(options);
  add_ping(*server);
  server->start();
  REQUIRE(server->tls_identity().has_value());
  CHECK(server->tls_identity()->certificate_pem == sccache::test::read_file(certificate));
  sccache::test::ScopedEnv trust("SSL_CERT_FILE", certificate.string());
  expect_ping(*env.client(), Endpoint{true, "127.0.0.1", server->port(), ""});
  server->stop();

  // A key that is not the certificate's, or a file that is missing, stops start() naming it.
  const auto other_certificate = env.temp / "other.pem";
  const auto other_key = env.temp / "other.key";
  write_rsa_identity(other_certificate, other_key);
  options.tls_key_file = other_key;
  try {
    env.server(options)->start();
    FAIL("a key that does not match the certificate was accepted");
  } catch (const TransportError& e) {
    CHECK(std::string(e.what()).find("other.key does not belong to the certificate") !=
          std::string::npos);
  }
  options.tls_certificate_file = env.temp / "missing.pem";
  try {
    env.server(options)->start();
    FAIL("a missing certificate file was accepted");
  } catch (const TransportError& e) {
    CHECK(std::string(e.what()).find("missing.pem") != std::string::npos);
  }
}
