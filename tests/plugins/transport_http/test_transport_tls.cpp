// transport-http over TLS: the per-start ECDSA certificate and fingerprint pinning, and
// CA-verified TLS for endpoints without a pin.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "transport_fixture.hpp"

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
