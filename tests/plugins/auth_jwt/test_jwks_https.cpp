// jwt_validate over https: the JWKS is fetched only from a server whose certificate the system's
// trust store (here SSL_CERT_FILE) vouches for, and for the name in the URL.

#include <catch2/catch.hpp>

#include "sccache/transport.hpp"

#include "plugins/auth_jwt/jwt_fixture.hpp"
#include "support/jwt_mint.hpp"
#include "support/test_support.hpp"
#include "transport-http/http_transport.hpp"

using namespace sccache;
using namespace sccache::test;

namespace {

// An identity provider on 127.0.0.1 with a fresh self-signed certificate for that address.
struct HttpsIdp {
  TempDir dir{"jwks-https"};
  std::unique_ptr<HostContext> host = make_default_host_context(AppRole::tool, dir.path());
  std::unique_ptr<TransportServer> server;
  std::string document;

  HttpsIdp() {
    ServerOptions options;
    options.bind_host = "127.0.0.1";
    options.tls = true;
    options.tls_names = {"127.0.0.1"};
    options.worker_threads = 2;
    const auto& factory =
        *static_cast<const TransportFactory*>(transport_http::descriptor()->factory);
    server = factory.create_server("http", options, *host);
    server->add_route("GET", "/jwks.json", [this](ServerRequest&, ServerResponse& response) {
      response.send(200, "application/json", document);
    });
    server->start();
    write_file(dir / "ca.pem", server->tls_identity()->certificate_pem);
  }
  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(server->port()) + "/jwks.json";
  }
};

std::string claims() {
  return fmt::format(R"({{"iss":"https://idp","aud":"sccache-dist","exp":{}}})", unix_now() + 300);
}

std::string table(const std::string& url) {
  return "type = \"jwt_validate\"\naudience = \"sccache-dist\"\nissuer = \"https://idp\"\n"
         "jwks_url = \"" +
         url + "\"\n";
}

}  // namespace

TEST_CASE("an https JWKS from a trusted server is used") {
  SigningKey key(SigningKey::Kind::ec_p256, "k");
  HttpsIdp idp;
  idp.document = jwks({&key});
  ScopedEnv trust("SSL_CERT_FILE", (idp.dir / "ca.pem").string());
  JwtFixture f(table(idp.url()));
  auto verifier = f.verifier("jwt_validate", AuthRole::client_verifier);
  CHECK(verifier->verify({bearer(key.mint(claims())), "", ""}).accepted);
}

TEST_CASE("an https JWKS from an untrusted certificate is never used") {
  SigningKey key(SigningKey::Kind::ec_p256, "k");
  HttpsIdp idp;
  idp.document = jwks({&key});
  // The system trust store does not know this self-signed certificate.
  JwtFixture f(table(idp.url()));
  auto verifier = f.verifier("jwt_validate", AuthRole::client_verifier);
  auto decision = verifier->verify({bearer(key.mint(claims())), "", ""});
  CHECK_FALSE(decision.accepted);
  CHECK(decision.reason.find("no identity-provider keys") != std::string::npos);
}

TEST_CASE("an https JWKS whose certificate names another host is never used") {
  SigningKey key(SigningKey::Kind::ec_p256, "k");
  HttpsIdp idp;
  idp.document = jwks({&key});
  ScopedEnv trust("SSL_CERT_FILE", (idp.dir / "ca.pem").string());
  // Trusted certificate, but for 127.0.0.1; the URL says localhost.
  std::string url = idp.url();
  url.replace(url.find("127.0.0.1"), 9, "localhost");
  JwtFixture f(table(url));
  auto verifier = f.verifier("jwt_validate", AuthRole::client_verifier);
  CHECK_FALSE(verifier->verify({bearer(key.mint(claims())), "", ""}).accepted);
}
