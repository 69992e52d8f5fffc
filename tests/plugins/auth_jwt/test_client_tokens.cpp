// jwt_validate: identity-provider tokens (RS256, ES256) checked against a JWKS file or URL, with
// every attack refused with a reason, and keys reloaded when the file or the provider changes.
#include <sys/stat.h>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <catch2/catch.hpp>

#include "plugins/auth_jwt/jwt_fixture.hpp"
#include "support/jwt_mint.hpp"
#include "support/test_support.hpp"

using namespace sccache;
using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

const std::string k_issuer = "https://idp.example.test";
const std::string k_audience = "sccache-dist";

std::string claims(const std::string& extra = "", int64_t exp_offset = 600) {
  return fmt::format(R"({{"iss":"{}","aud":"{}","sub":"alice","iat":{},"exp":{}{}}})", k_issuer,
                     k_audience, unix_now(), unix_now() + exp_offset, extra);
}

std::string validate_table(const std::string& source, const std::string& extra = "") {
  return fmt::format("type = \"jwt_validate\"\naudience = \"{}\"\nissuer = \"{}\"\n{}\n{}",
                     k_audience, k_issuer, source, extra);
}

struct JwksFile {
  TempDir dir{"jwks"};
  fs::path path = dir / "jwks.json";
  // Replaces the file as an editor or a deploy would (new inode).
  void write(const std::string& text) {
    write_file(dir / "jwks.json.tmp", text);
    fs::rename(dir / "jwks.json.tmp", path);
  }
};

AuthDecision check(CredentialVerifier& verifier, const std::string& token) {
  return verifier.verify({bearer(token), "", "127.0.0.1:5000"});
}

// Flips one character in the middle of the signature (the last ones may be padding bits).
std::string corrupt_signature(std::string token) {
  const size_t start = token.rfind('.') + 1;
  char& c = token[start + (token.size() - start) / 2];
  c = c == 'A' ? 'B' : 'A';
  return token;
}

}  // namespace

TEST_CASE("jwt_validate accepts RS256 and ES256 tokens from the JWKS") {
  SigningKey rsa(SigningKey::Kind::rsa2048, "rsa-1");
  SigningKey ec(SigningKey::Kind::ec_p256, "ec-1");
  JwksFile jwks_file;
  jwks_file.write(jwks({&rsa, &ec}));
  JwtFixture f(validate_table("jwks_file = \"" + jwks_file.path.string() + "\""));
  auto verifier = f.verifier("jwt_validate", AuthRole::client_verifier);

  for (const SigningKey* key : {&rsa, &ec}) {
    INFO(key->algorithm());
    auto decision = check(*verifier, key->mint(claims()));
    CHECK(decision.accepted);
    CHECK(decision.identity == "alice");
    CHECK(decision.reason.empty());
  }
  // An audience list naming us, and a token without "kid", pass too.
  CHECK(check(*verifier, rsa.mint(claims(R"(,"aud":["other","sccache-dist"])"))).accepted);
  CHECK(check(*verifier, ec.mint(claims(), R"({"alg":"ES256","typ":"JWT"})")).accepted);
}

TEST_CASE("jwt_validate refuses every attack with a reason that quotes nothing of the token") {
  SigningKey rsa(SigningKey::Kind::rsa2048, "rsa-1");
  SigningKey ec(SigningKey::Kind::ec_p256, "ec-1");
  SigningKey stranger(SigningKey::Kind::rsa2048, "rsa-1");  // same kid, key not in the JWKS
  JwksFile jwks_file;
  jwks_file.write(jwks({&rsa, &ec}));
  JwtFixture f(validate_table("jwks_file = \"" + jwks_file.path.string() + "\""));
  auto verifier = f.verifier("jwt_validate", AuthRole::client_verifier);
  const std::string good = rsa.mint(claims());

  struct Attack {
    std::string name, token, reason;
  };
  const std::vector<Attack> attacks = {
      {"alg none", mint_unsigned(claims()), "alg none"},
      {"alg none with a signature", rsa.mint(claims(), R"({"alg":"none","kid":"rsa-1"})"),
       "alg none"},
      // Algorithm confusion: HS256 keyed with the RSA public key a verifier might misuse.
      {"HS256 with the RSA public key",
       mint_hs256(rsa.public_pem(), claims(), R"({"alg":"HS256","typ":"JWT","kid":"rsa-1"})"),
       "algorithm not accepted"},
      {"bad signature", corrupt_signature(good), "invalid token signature"},
      {"signed by a key not in the JWKS", stranger.mint(claims()), "invalid token signature"},
      {"unknown key id", rsa.mint(claims(), R"({"alg":"RS256","kid":"nope"})"),
       "signing key is not in the JWKS"},
      {"RS256 token naming the EC key", rsa.mint(claims(), R"({"alg":"RS256","kid":"ec-1"})"),
       "signing key is not in the JWKS"},
      {"ES256 signature of the wrong length",
       good.substr(0, good.rfind('.')) + "." + b64url(std::string(63, 'x')),
       "invalid token signature"},
      {"expired", rsa.mint(claims("", -3600)), "token expired"},
      {"not yet valid", rsa.mint(claims(fmt::format(R"(,"nbf":{})", unix_now() + 3600))),
       "not yet valid"},
      {"issued in the future", rsa.mint(claims(fmt::format(R"(,"iat":{})", unix_now() + 3600))),
       "issued in the future"},
      {"no expiry",
       rsa.mint(fmt::format(R"({{"iss":"{}","aud":"{}","sub":"x"}})", k_issuer, k_audience)),
       "no expiry"},
      {"exp as a string", rsa.mint(claims(R"(,"exp":"never")")), "\"exp\" is not a number"},
      {"wrong audience", rsa.mint(claims(R"(,"aud":"someone-else")")), "wrong token audience"},
      {"no audience",
       rsa.mint(fmt::format(R"({{"iss":"{}","exp":{}}})", k_issuer, unix_now() + 60)),
       "wrong token audience"},
      {"wrong issuer", rsa.mint(claims(R"(,"iss":"https://evil.example")")), "wrong token issuer"},
      {"truncated", good.substr(0, good.find('.') + 10), "three dot-separated parts"},
      {"truncated signature", good.substr(0, good.size() - 7), "signature"},
      {"garbage", "eyJhbGciOi.garbage.@@@", "header is not base64url JSON"},
      {"random bytes", std::string("\x01\x02\xff.\x80.x", 7), "header is not base64url JSON"},
      {"header not an object", b64url("[1,2]") + "." + b64url("{}") + ".c2ln",
       "header is not base64url JSON"},
      {"oversized header",
       rsa.mint(claims(), R"({"alg":"RS256","kid":"rsa-1","x":")" + std::string(2000, 'a') + "\"}"),
       "token header too large"},
      {"oversized token", rsa.mint(claims(R"(,"x":")" + std::string(9000, 'a') + "\"")),
       "token too large"},
  };
  for (const auto& attack : attacks) {
    INFO(attack.name);
    auto decision = check(*verifier, attack.token);
    CHECK_FALSE(decision.accepted);
    CHECK(decision.reason.find(attack.reason) != std::string::npos);
    CHECK(decision.reason.find("alice") == std::string::npos);
    if (attack.token.size() > 16) {
      CHECK(decision.reason.find(attack.token.substr(attack.token.size() - 16)) ==
            std::string::npos);
    }
  }
  // After all that, a good token still passes.
  CHECK(check(*verifier, good).accepted);
}

TEST_CASE("jwt_validate allows the configured clock skew and no more") {
  SigningKey ec(SigningKey::Kind::ec_p256, "ec-1");
  JwksFile jwks_file;
  jwks_file.write(jwks({&ec}));
  const std::string source = "jwks_file = \"" + jwks_file.path.string() + "\"";
  const std::string just_expired = ec.mint(claims("", -30));
  const std::string almost_valid = ec.mint(claims(fmt::format(R"(,"nbf":{})", unix_now() + 30)));

  JwtFixture lenient(validate_table(source, "leeway_secs = 60"));
  auto verifier = lenient.verifier("jwt_validate", AuthRole::client_verifier);
  CHECK(check(*verifier, just_expired).accepted);
  CHECK(check(*verifier, almost_valid).accepted);
  CHECK_FALSE(check(*verifier, ec.mint(claims("", -90))).accepted);

  JwtFixture strict(validate_table(source, "leeway_secs = 0"));
  verifier = strict.verifier("jwt_validate", AuthRole::client_verifier);
  CHECK(check(*verifier, just_expired).reason == "token expired");
  CHECK(check(*verifier, almost_valid).reason.find("not yet valid") != std::string::npos);
}

TEST_CASE("jwt_validate pins the algorithms the config names") {
  SigningKey rsa(SigningKey::Kind::rsa2048, "rsa-1");
  SigningKey ec(SigningKey::Kind::ec_p256, "ec-1");
  JwksFile jwks_file;
  jwks_file.write(jwks({&rsa, &ec}));
  JwtFixture f(validate_table("jwks_file = \"" + jwks_file.path.string() + "\"",
                              "algorithms = [\"ES256\"]"));
  auto verifier = f.verifier("jwt_validate", AuthRole::client_verifier);
  CHECK(check(*verifier, ec.mint(claims())).accepted);
  CHECK(check(*verifier, rsa.mint(claims())).reason.find("accepted: ES256") != std::string::npos);
}

TEST_CASE("jwt_validate re-reads the JWKS file when it changes, without a restart") {
  SigningKey old_key(SigningKey::Kind::rsa2048, "2025");
  SigningKey new_key(SigningKey::Kind::ec_p256, "2026");
  JwksFile jwks_file;
  jwks_file.write(jwks({&old_key}));
  JwtFixture f(validate_table("jwks_url = \"file://" + jwks_file.path.string() + "\""));
  auto verifier = f.verifier("jwt_validate", AuthRole::client_verifier);
  const std::string old_token = old_key.mint(claims());
  const std::string new_token = new_key.mint(claims());
  CHECK(check(*verifier, old_token).accepted);
  CHECK_FALSE(check(*verifier, new_token).accepted);

  jwks_file.write(jwks({&old_key, &new_key}));  // rotation starts
  CHECK(check(*verifier, old_token).accepted);
  CHECK(check(*verifier, new_token).accepted);

  jwks_file.write(jwks({&new_key}));  // the old key is retired
  CHECK(check(*verifier, old_token).reason == "the token's signing key is not in the JWKS");
  CHECK(check(*verifier, new_token).accepted);

  // A broken edit (not a JWKS at all), or a file that is not a regular one, keeps the keys in
  // force rather than locking everyone out.
  jwks_file.write("{\"keys\": [");
  CHECK(check(*verifier, new_token).accepted);
  fs::remove(jwks_file.path);
  REQUIRE(::mkfifo(jwks_file.path.c_str(), 0600) == 0);  // reading it would block forever
  CHECK(check(*verifier, new_token).accepted);
  fs::remove(jwks_file.path);
  // The same path rewritten in place (same inode, new size) is noticed too.
  write_file(jwks_file.path, jwks({&old_key}));
  CHECK(check(*verifier, old_token).accepted);
  CHECK_FALSE(check(*verifier, new_token).accepted);

  // A JWKS with no usable key revokes every key: the operator means "trust nobody".
  jwks_file.write(R"({"keys":[]})");
  CHECK(check(*verifier, new_token).reason ==
        "no identity-provider keys are available (see the scheduler log)");
  jwks_file.write(jwks({&new_key}));
  CHECK(check(*verifier, new_token).accepted);
}

namespace {

// Serves a JWKS document on 127.0.0.1, counting the fetches.
class JwksServer {
 public:
  JwksServer() : m_socket(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    auto params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(false);
    m_server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), m_socket, params);
    m_server->start();
  }
  ~JwksServer() { m_server->stopAll(true); }
  std::string url() const {
    return fmt::format("http://127.0.0.1:{}/.well-known/jwks.json", m_socket.address().port());
  }
  void set(std::string document) {
    std::lock_guard lock(m_mutex);
    m_document = std::move(document);
  }
  // From now on, answer with a byte every 200 ms and never finish (a stalled provider).
  void drip() { m_drip = true; }
  int fetches() const { return m_fetches; }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(JwksServer& owner) : m_owner(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest&,
                       Poco::Net::HTTPServerResponse& response) override {
      ++m_owner.m_fetches;
      if (m_owner.m_drip) {
        response.setContentType("application/json");
        response.setChunkedTransferEncoding(true);
        std::ostream& out = response.send();
        for (int i = 0; i < 600 && out; ++i) {  // ends when the client hangs up
          out << ' ' << std::flush;
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        return;
      }
      std::lock_guard lock(m_owner.m_mutex);
      response.setContentType("application/json");
      response.sendBuffer(m_owner.m_document.data(), m_owner.m_document.size());
    }

   private:
    JwksServer& m_owner;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(JwksServer& owner) : m_owner(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(m_owner);
    }

   private:
    JwksServer& m_owner;
  };

  Poco::Net::ServerSocket m_socket;
  std::unique_ptr<Poco::Net::HTTPServer> m_server;
  std::mutex m_mutex;
  std::string m_document;
  std::atomic<int> m_fetches{0};
  std::atomic<bool> m_drip{false};
};

// A jwt_validate verifier whose keys come from a local provider that publishes `first` (and
// knows nothing of `second` until told).
struct ProviderFixture {
  SigningKey first{SigningKey::Kind::rsa2048, "first"};
  SigningKey second{SigningKey::Kind::ec_p256, "second"};
  JwksServer idp;
  std::unique_ptr<JwtFixture> config;
  std::unique_ptr<CredentialVerifier> verifier;

  ProviderFixture() {
    idp.set(jwks({&first}));
    config = std::make_unique<JwtFixture>(validate_table("jwks_url = \"" + idp.url() + "\""));
    verifier = config->verifier("jwt_validate", AuthRole::client_verifier);
  }
};

}  // namespace

TEST_CASE("jwt_validate fetches the JWKS URL and follows a key rotation, rate-limited") {
  ProviderFixture provider;
  auto& [first, second, idp, config, verifier] = provider;
  CHECK(idp.fetches() == 1);
  CHECK(check(*verifier, first.mint(claims())).accepted);
  CHECK(idp.fetches() == 1);  // known key ids need no fetch

  idp.set(jwks({&first, &second}));
  CHECK(check(*verifier, second.mint(claims())).accepted);  // unknown kid: fetched again
  CHECK(idp.fetches() == 2);

  // Made-up key ids cannot make the scheduler hammer the provider.
  for (int i = 0; i < 5; ++i) {
    CHECK_FALSE(check(*verifier, first.mint(claims(), R"({"alg":"RS256","kid":"x)" +
                                                          std::to_string(i) + "\"}"))
                    .accepted);
  }
  CHECK(idp.fetches() == 2);
}

TEST_CASE("jwt_validate config errors name file, line and key") {
  JwksFile jwks_file;
  SigningKey ec(SigningKey::Kind::ec_p256, "ec-1");
  jwks_file.write(jwks({&ec}));
  const std::string file = "jwks_file = \"" + jwks_file.path.string() + "\"";
  auto error_for = [](const std::string& text) {
    JwtFixture f(text);
    return config_error([&] { f.verifier("jwt_validate", AuthRole::client_verifier); });
  };
  CHECK(error_for(validate_table(file)) == "(no error)");
  CHECK(error_for(validate_table("")).find("client_auth.jwks_url") != std::string::npos);
  CHECK(error_for(validate_table(file + "\njwks_url = \"https://x/\""))
            .find("exactly one of jwks_url and jwks_file") != std::string::npos);
  CHECK(error_for(validate_table("jwks_url = \"http://idp.example.com/jwks\"")).find("use https") !=
        std::string::npos);
  CHECK(error_for(validate_table("jwks_url = \"http://127.attacker.example/jwks\""))
            .find("use https") != std::string::npos);
  CHECK(error_for(validate_table("jwks_url = \"ftp://idp/jwks\"")).find("expected an https://") !=
        std::string::npos);
  CHECK(
      error_for(validate_table(file, "algorithms = [\"HS256\"]")).find("client_auth.algorithms") !=
      std::string::npos);
  CHECK(error_for(validate_table(file, "algorithms = [\"none\"]")).find("never none") !=
        std::string::npos);
  CHECK(error_for(validate_table(file, "leeway_secs = 3600")).find("client_auth.leeway_secs") !=
        std::string::npos);
  CHECK(
      error_for(validate_table(file, "jwks_refresh_secs = 600")).find("applies to jwks_url only") !=
      std::string::npos);
  CHECK(error_for(validate_table(file, "jwks_uri = \"x\"")).find("client_auth.jwks_uri") !=
        std::string::npos);
  CHECK(
      error_for("type = \"jwt_validate\"\nissuer = \"i\"\n" + file).find("client_auth.audience") !=
      std::string::npos);

  auto missing = error_for(validate_table("jwks_file = \"/nonexistent/jwks.json\""));
  CHECK(missing.find("scheduler.conf:4:") != std::string::npos);
  CHECK(missing.find("key 'client_auth.jwks_file'") != std::string::npos);
  CHECK(missing.find("cannot read /nonexistent/jwks.json") != std::string::npos);

  jwks_file.write(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})");
  CHECK(error_for(validate_table(file)).find("no usable RS256 or ES256 signing key") !=
        std::string::npos);
}

TEST_CASE("a stalled JWKS provider never holds a client's request for long") {
  ProviderFixture provider;
  auto& [first, second, idp, config, verifier] = provider;
  {
    idp.drip();
    // An unknown key id asks for a fetch, which stalls: the request waits a few seconds at most,
    // and tokens signed with known keys are not held up at all meanwhile.
    auto start = std::chrono::steady_clock::now();
    CHECK(check(*verifier, second.mint(claims())).reason ==
          "the token's signing key is not in the JWKS");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    start = std::chrono::steady_clock::now();
    CHECK(check(*verifier, first.mint(claims())).accepted);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500));
    CHECK(idp.fetches() == 2);
    start = std::chrono::steady_clock::now();
    verifier.reset();  // the scheduler stopping: the stalled fetch is cut off
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  }
}
