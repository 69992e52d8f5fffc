// jwt_hs256 / jwt_token: build servers' HS256 tokens, each attack refused with a reason that
// never contains the token or the key, and tokens from `sccache-dist auth` accepted.
#include <catch2/catch.hpp>

#include "sccache/plugin_registry.hpp"

#include "plugins/auth_jwt/jwt_fixture.hpp"
#include "support/jwt_mint.hpp"
#include "support/test_support.hpp"

using namespace sccache;
using namespace sccache::test;

namespace {

// 32 bytes and their base64url form, as `sccache-dist auth generate-jwt-hs256-key` prints them.
const std::string k_secret = "0123456789abcdef0123456789ABCDEF";
const std::string k_secret_b64 = b64url(k_secret);
const std::string k_server = "10.0.0.1:10501";

std::string server_claims(const std::string& server, const std::string& extra = "") {
  return fmt::format(R"({{"server_id":"{}","iat":{}{}}})", server, unix_now(), extra);
}

JwtFixture scheduler() {
  return JwtFixture(fmt::format("type = \"jwt_hs256\"\nsecret_key = \"{}\"\n", k_secret_b64),
                    "server_auth");
}

AuthDecision check(CredentialVerifier& verifier, const std::string& token,
                   const std::string& claimed = k_server) {
  return verifier.verify({bearer(token), claimed, "10.0.0.1:40000"});
}

}  // namespace

TEST_CASE("the descriptor declares the three JWT types") {
  const sccache_plugin_descriptor* d = auth_jwt::descriptor();
  CHECK_FALSE(validate_descriptor(d).has_value());
  CHECK(d->kind == SCCACHE_PLUGIN_KIND_AUTH);
  CHECK(std::string(d->types[0]) == "jwt_hs256");
  CHECK(std::string(d->types[1]) == "jwt_token");
  CHECK(std::string(d->types[2]) == "jwt_validate");
  CHECK(d->types[3] == nullptr);
}

TEST_CASE("jwt_hs256 accepts a token only from the server it names") {
  auto f = scheduler();
  auto verifier = f.verifier("jwt_hs256", AuthRole::server_verifier);
  const std::string token = mint_hs256(k_secret, server_claims(k_server));

  auto ok = check(*verifier, token);
  REQUIRE(ok.accepted);
  CHECK(ok.identity == k_server);
  // Upstream's tokens carry exp 0, meaning "no expiry".
  CHECK(check(*verifier, mint_hs256(k_secret, server_claims(k_server, R"(,"exp":0)"))).accepted);

  auto other = check(*verifier, token, "10.0.0.2:10501");
  CHECK_FALSE(other.accepted);
  CHECK(other.reason == "this token is for server 10.0.0.1:10501, not 10.0.0.2:10501");
  auto anonymous = check(*verifier, token, "");
  CHECK_FALSE(anonymous.accepted);
  CHECK(anonymous.reason.find("did not say which server") != std::string::npos);
}

TEST_CASE("jwt_hs256 refuses forged, unsigned, stale and malformed tokens, saying why") {
  auto f = scheduler();
  auto verifier = f.verifier("jwt_hs256", AuthRole::server_verifier);
  const std::string good = mint_hs256(k_secret, server_claims(k_server));
  SigningKey rsa(SigningKey::Kind::rsa2048, "k1");

  struct Attack {
    std::string name, token, reason;
  };
  const std::vector<Attack> attacks = {
      {"wrong key", mint_hs256("another key of thirty-two bytes!", server_claims(k_server)),
       "invalid token signature"},
      {"alg none", mint_unsigned(server_claims(k_server)), "alg none"},
      {"RS256 instead of HS256", rsa.mint(server_claims(k_server)), "algorithm not accepted"},
      {"HS384 header", mint_hs256(k_secret, server_claims(k_server), R"({"alg":"HS384"})"),
       "algorithm not accepted"},
      {"expired",
       mint_hs256(k_secret,
                  server_claims(k_server, fmt::format(R"(,"exp":{})", unix_now() - 3600))),
       "token expired"},
      {"not yet valid",
       mint_hs256(k_secret,
                  server_claims(k_server, fmt::format(R"(,"nbf":{})", unix_now() + 3600))),
       "not yet valid"},
      {"no server id", mint_hs256(k_secret, R"({"iat":1})"), "names no server"},
      {"truncated", good.substr(0, good.size() - 10), "signature"},
      {"two parts", good.substr(0, good.rfind('.')), "not three dot-separated parts"},
      {"garbage", "!!!.???.***", "header is not base64url JSON"},
      {"empty", "", "not a bearer token"},
      {"oversized",
       mint_hs256(k_secret, server_claims(k_server, R"(,"pad":")" + std::string(9000, 'x') + "\"")),
       "too large"},
      {"crit header",
       mint_hs256(k_secret, server_claims(k_server), R"({"alg":"HS256","crit":["x"]})"),
       "critical extensions"},
  };
  for (const auto& attack : attacks) {
    INFO(attack.name);
    auto decision = check(*verifier, attack.token);
    CHECK_FALSE(decision.accepted);
    CHECK(decision.reason.find(attack.reason) != std::string::npos);
    CHECK(decision.reason.find(k_secret_b64) == std::string::npos);
    if (attack.token.size() > 20) {
      CHECK(decision.reason.find(attack.token.substr(attack.token.size() - 20)) ==
            std::string::npos);
    }
  }
  CHECK(verifier->verify({"", k_server, ""}).reason.find("no bearer token") != std::string::npos);
  CHECK(verifier->verify({"Basic abc", k_server, ""}).reason.find("not a bearer") !=
        std::string::npos);
}

TEST_CASE("jwt_hs256 config errors name the key and never show it") {
  auto error_for = [](const std::string& text) {
    JwtFixture f(text, "server_auth");
    return config_error([&] { f.verifier("jwt_hs256", AuthRole::server_verifier); });
  };
  CHECK(error_for("type = \"jwt_hs256\"\n").find("server_auth.secret_key") != std::string::npos);
  const std::string short_key = b64url("only sixteen byt");
  auto too_short = error_for("type = \"jwt_hs256\"\nsecret_key = \"" + short_key + "\"\n");
  CHECK(too_short.find("scheduler.conf:2") != std::string::npos);
  CHECK(too_short.find("at least 32 bytes") != std::string::npos);
  CHECK(too_short.find(short_key) == std::string::npos);
  auto not_b64 = error_for("type = \"jwt_hs256\"\nsecret_key = \"not base64 at all!\"\n");
  CHECK(not_b64.find("not base64url") != std::string::npos);
  CHECK(not_b64.find("not base64 at all") == std::string::npos);
  CHECK(error_for("type = \"jwt_hs256\"\nsecret_key = \"" + k_secret_b64 + "\"\nkey = 1\n")
            .find("server_auth.key") != std::string::npos);
  // Padded base64url is accepted too.
  CHECK(error_for("type = \"jwt_hs256\"\nsecret_key = \"" + k_secret_b64 + "=\"\n") ==
        "(no error)");
}

TEST_CASE("each JWT type stays in its own table") {
  JwtFixture f("type = \"jwt_hs256\"\nsecret_key = \"x\"\n", "client_auth");
  auto error = config_error([&] { f.verifier("jwt_hs256", AuthRole::client_verifier); });
  CHECK(error.find("client_auth.type") != std::string::npos);
  CHECK(error.find("belongs in [server_auth]") != std::string::npos);
  JwtFixture c("type = \"jwt_token\"\ntoken = \"x\"\n", "dist.auth");
  error = config_error([&] { c.provider("jwt_token", AuthRole::client_credential); });
  CHECK(error.find("belongs in [scheduler_auth]") != std::string::npos);
  CHECK(error.find("type = \"token\"") != std::string::npos);
}

TEST_CASE("jwt_token presents its token, and refuses to start with another server's token") {
  const std::string token = mint_hs256(k_secret, server_claims(k_server));
  const std::string table = "type = \"jwt_token\"\ntoken = \"" + token + "\"\n";
  JwtFixture mine(table, "scheduler_auth", k_server);
  CHECK(mine.provider("jwt_token", AuthRole::server_credential)->authorization() ==
        "Bearer " + token);

  JwtFixture other(table, "scheduler_auth", "10.0.0.9:10501");
  auto error = config_error([&] { other.provider("jwt_token", AuthRole::server_credential); });
  CHECK(error.find("scheduler.conf:2:") != std::string::npos);
  CHECK(error.find("key 'scheduler_auth.token'") != std::string::npos);
  CHECK(error.find("for server 10.0.0.1:10501, but public_addr is 10.0.0.9:10501") !=
        std::string::npos);
  CHECK(error.find("--server 10.0.0.9:10501") != std::string::npos);
  CHECK(error.find(token) == std::string::npos);

  JwtFixture garbage("type = \"jwt_token\"\ntoken = \"my server token\"\n", "scheduler_auth",
                     k_server);
  CHECK(config_error([&] {
          garbage.provider("jwt_token", AuthRole::server_credential);
        }).find("not a jwt_token") != std::string::npos);
  const std::string expired =
      mint_hs256(k_secret, server_claims(k_server, fmt::format(R"(,"exp":{})", unix_now() - 10)));
  JwtFixture stale("type = \"jwt_token\"\ntoken = \"" + expired + "\"\n", "scheduler_auth",
                   k_server);
  CHECK(config_error([&] {
          stale.provider("jwt_token", AuthRole::server_credential);
        }).find("token expired") != std::string::npos);
}

TEST_CASE("sccache-dist auth makes keys and server tokens that jwt_hs256 accepts") {
  const auto dist = (bin_dir() / "sccache-dist").string();
  RunResult key = run({dist, "auth", "generate-jwt-hs256-key"});
  REQUIRE(key.exit_code == 0);
  const std::string secret = key.out.substr(0, key.out.find('\n'));
  CHECK(secret.size() == 43);  // 32 bytes, base64url without padding
  CHECK(run({dist, "auth", "generate-jwt-hs256-key"}).out != key.out);

  TempDir dir("jwt-auth");
  write_file(dir / "scheduler.conf",
             "[client_auth]\ntype = \"token\"\ntoken = \"c\"\n\n[server_auth]\ntype = "
             "\"jwt_hs256\"\nsecret_key = \"" +
                 secret + "\"\n");
  RunResult by_config = run({dist, "auth", "generate-jwt-hs256-server-token", "--server", k_server,
                             "--config", (dir / "scheduler.conf").string()});
  RunResult by_key = run({dist, "auth", "generate-jwt-hs256-server-token", "--server", k_server,
                          "--secret-key", secret});
  REQUIRE(by_config.exit_code == 0);
  REQUIRE(by_key.exit_code == 0);

  JwtFixture f("type = \"jwt_hs256\"\nsecret_key = \"" + secret + "\"\n", "server_auth");
  auto verifier = f.verifier("jwt_hs256", AuthRole::server_verifier);
  for (const auto& made : {by_config, by_key}) {
    const std::string token = made.out.substr(0, made.out.find('\n'));
    CHECK(check(*verifier, token).accepted);
    CHECK_FALSE(check(*verifier, token, "10.0.0.1:10502").accepted);
  }
  // A scheduler.conf whose server auth is not jwt_hs256 cannot make server tokens.
  write_file(dir / "token.conf", "[server_auth]\ntype = \"token\"\ntoken = \"t\"\n");
  RunResult wrong = run({dist, "auth", "generate-jwt-hs256-server-token", "--server", k_server,
                         "--config", (dir / "token.conf").string()});
  CHECK(wrong.exit_code == 1);
  CHECK(wrong.err.find("token.conf:2:") != std::string::npos);
  CHECK(wrong.err.find("key 'server_auth.type'") != std::string::npos);
  CHECK(run({dist, "auth", "generate-jwt-hs256-server-token", "--server", "10.0.0.1",
             "--secret-key", secret})
            .exit_code == 2);
  CHECK(run({dist, "auth", "generate-jwt-hs256-server-token", "--server", k_server, "--secret-key",
             "c2hvcnQ"})
            .exit_code == 2);

  RunResult shared = run({dist, "auth", "generate-shared-token", "--bits", "128"});
  REQUIRE(shared.exit_code == 0);
  CHECK(shared.out.size() == 22 + 1);  // 16 bytes -> 22 base64url characters, then "\n"
  CHECK(run({dist, "auth", "generate-shared-token"}).out.size() == 43 + 1);
  for (const char* bits : {"63", "72x", "4104", "0"}) {
    CHECK(run({dist, "auth", "generate-shared-token", "--bits", bits}).exit_code == 2);
  }
  CHECK(run({dist, "auth", "frobnicate"}).exit_code == 2);
}
