// A real cluster on JWTs: the scheduler checks build servers with jwt_hs256 and clients with
// jwt_validate (a JWKS file), the build server presents a jwt_token made by `sccache-dist auth`,
// and clients present identity-provider tokens (RS256 and ES256) minted by the test. Every
// attack is refused with 401 and a reason while the daemons keep serving, and no process logs a
// secret or a token. Clients also reach the scheduler over https through a TLS proxy.
#include <cstdlib>
#include <signal.h>

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "sccache/transport.hpp"

#include "integration/cluster_fixture.hpp"
#include "support/jwt_mint.hpp"
#include "transport-http/http_transport.hpp"

using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

const OverlayBuilderRequired g_overlay_builder_required;

const std::string k_issuer = "https://idp.example.test";
const std::string k_audience = "sccache-dist";

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

std::string client_claims(const std::string& extra = "", int64_t exp_offset = 900) {
  return fmt::format(R"({{"iss":"{}","aud":"{}","sub":"alice@example.test","iat":{},"exp":{}{}}})",
                     k_issuer, k_audience, unix_now(), unix_now() + exp_offset, extra);
}

std::string signature_of(const std::string& token) {
  return token.substr(token.rfind('.') + 1);
}

// A scheduler on jwt_hs256 + jwt_validate and one build server on jwt_token.
struct JwtCluster {
  Cluster cluster;
  SigningKey rsa{SigningKey::Kind::rsa2048, "idp-rsa-1"};
  SigningKey ec{SigningKey::Kind::ec_p256, "idp-ec-1"};
  fs::path jwks_path = cluster.dir() / "jwks.json";
  std::string secret;
  std::string server_token;
  std::string rsa_token = rsa.mint(client_claims());
  std::string ec_token = ec.mint(client_claims());

  JwtCluster() {
    RunResult key = run({sccache_dist_binary().string(), "auth", "generate-jwt-hs256-key"});
    REQUIRE(key.exit_code == 0);
    secret = first_line(key.out);
    write_file(jwks_path, jwks({&rsa, &ec}));
    cluster.start_scheduler_with_auth(
        fmt::format("type = \"jwt_validate\"\naudience = \"{}\"\nissuer = \"{}\"\njwks_file = "
                    "\"{}\"\nleeway_secs = 30\n",
                    k_audience, k_issuer, jwks_path.string()),
        fmt::format("type = \"jwt_hs256\"\nsecret_key = \"{}\"\n", secret));
    server_token = make_server_token(free_port());
  }

  // `sccache-dist auth generate-jwt-hs256-server-token` for 127.0.0.1:<port>, from the
  // scheduler's own config; starts a server on that port with it if `start`.
  std::string make_server_token(uint16_t port) {
    RunResult made = run({sccache_dist_binary().string(), "auth", "generate-jwt-hs256-server-token",
                          "--server", fmt::format("127.0.0.1:{}", port), "--config",
                          (cluster.dir() / "scheduler.conf").string()});
    REQUIRE(made.exit_code == 0);
    m_server_port = port;
    return first_line(made.out);
  }
  size_t start_server() {
    return cluster.start_server_with_auth(
        fmt::format("type = \"jwt_token\"\ntoken = \"{}\"\n", server_token), {}, m_server_port);
  }
  HttpReply scheduler_call(const std::string& method, const std::string& path,
                           const std::string& authorization, const std::string& body = "") {
    return http_call(cluster.scheduler_port(), method, path,
                     {.body = body, .authorization = authorization});
  }
  // False while the scheduler is not listening yet (a refused connection), as well as when it
  // does not accept the token.
  bool serving() {
    try {
      return scheduler_call("GET", "/api/v2/status", "Bearer " + rsa_token).status == 200;
    } catch (const Poco::Exception&) {
      return false;
    }
  }

 private:
  uint16_t m_server_port = 0;
};

Poco::JSON::Object::Ptr parse(const std::string& json) {
  Poco::JSON::Parser parser;
  return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

TEST_CASE("jwt_hs256 servers and jwt_validate clients compile remotely to identical objects") {
  JwtCluster jwt;
  jwt.start_server();
  REQUIRE(jwt.cluster.wait_for_servers(1, std::chrono::seconds(20), jwt.rsa_token));

  const fs::path dir = jwt.cluster.dir() / "src";
  write_file(dir / "a.c",
             "#include <stdio.h>\nstatic int twice(int x) { return 2 * x; }\n"
             "int main(void) { printf(\"%d\\n\", twice(21)); return 0; }\n");
  RunResult local = run({"gcc", "-O2", "-c", "a.c", "-o", "local.o"}, {}, dir);
  REQUIRE(local.exit_code == 0);
  for (const std::string* token : {&jwt.rsa_token, &jwt.ec_token}) {
    const fs::path config = jwt.cluster.client_config(*token);
    RunResult remote =
        jwt.cluster.sccache_in(dir, {"gcc", "-O2", "-c", "a.c", "-o", "remote.o"}, config);
    INFO(remote.err);
    REQUIRE(remote.exit_code == 0);
    CHECK(read_file(dir / "remote.o") == read_file(dir / "local.o"));
    fs::remove(dir / "remote.o");
  }
  RunResult stats = jwt.cluster.sccache_in(dir, {"--show-stats", "--json"},
                                           jwt.cluster.client_config(jwt.ec_token));
  auto json = parse(stats.out);
  CHECK(json->getValue<uint64_t>("remote_compiles") == 2);
  CHECK(json->getObject("local_fallbacks")->size() == 0);

  // The test's config files are world-readable (mode 0644): both daemons say so, naming the key.
  CHECK(jwt.cluster.scheduler().stderr_text().find(
            "holds the secret 'server_auth.secret_key' and is readable by every user") !=
        std::string::npos);
  CHECK(jwt.cluster.server(0).stderr_text().find("holds the secret 'scheduler_auth.token'") !=
        std::string::npos);
}

TEST_CASE("every forged, stale or misdirected token gets 401 and a reason; nothing logs a secret") {
  JwtCluster jwt;
  jwt.start_server();
  REQUIRE(jwt.cluster.wait_for_servers(1, std::chrono::seconds(20), jwt.rsa_token));
  std::vector<std::string> secrets = {jwt.secret,
                                      jwt.server_token,
                                      signature_of(jwt.server_token),
                                      jwt.rsa_token,
                                      signature_of(jwt.rsa_token),
                                      jwt.ec_token,
                                      signature_of(jwt.ec_token)};

  SECTION("client tokens") {
    SigningKey stranger(SigningKey::Kind::rsa2048, "idp-rsa-1");
    const std::string& good = jwt.rsa_token;
    std::string bad_signature = good;
    bad_signature[bad_signature.rfind('.') + 40] ^= 0x01;
    struct Attack {
      std::string name, token, reason;
    };
    const std::vector<Attack> attacks = {
        {"alg none", mint_unsigned(client_claims()), "alg none"},
        {"HS256 signed with the RS256 public key",
         mint_hs256(jwt.rsa.public_pem(), client_claims(),
                    R"({"alg":"HS256","typ":"JWT","kid":"idp-rsa-1"})"),
         "algorithm not accepted"},
        {"bad signature", bad_signature, "signature"},
        {"signed by another key", stranger.mint(client_claims()), "invalid token signature"},
        {"expired", jwt.rsa.mint(client_claims("", -3600)), "token expired"},
        {"not yet valid",
         jwt.ec.mint(client_claims(fmt::format(R"(,"nbf":{})", unix_now() + 3600))),
         "not yet valid"},
        {"wrong audience", jwt.rsa.mint(client_claims(R"(,"aud":"another-service")")),
         "wrong token audience"},
        {"wrong issuer", jwt.ec.mint(client_claims(R"(,"iss":"https://evil.test")")),
         "wrong token issuer"},
        {"a server token", jwt.server_token, "algorithm not accepted"},
        {"truncated", good.substr(0, good.size() / 3), "three dot-separated parts"},
        {"garbage", "garbage", "three dot-separated parts"},
        {"garbage segments", "Zm9v.YmFy.YmF6", "header is not base64url JSON"},
        {"oversized JWT header",
         jwt.rsa.mint(client_claims(), R"({"alg":"RS256","kid":"idp-rsa-1","pad":")" +
                                           std::string(3000, 'p') + "\"}"),
         "token header too large"},
    };
    for (const auto& attack : attacks) {
      INFO(attack.name);
      HttpReply reply = jwt.scheduler_call("GET", "/api/v2/status", "Bearer " + attack.token);
      CHECK(reply.status == 401);
      CHECK(reply.body.find(attack.reason) != std::string::npos);
      CHECK(reply.www_authenticate.find("Bearer") == 0);
      CHECK(jwt.serving());
      if (signature_of(attack.token).size() >= 16) {
        secrets.push_back(signature_of(attack.token));
      }
    }
    // An Authorization header beyond the HTTP limits (8 KiB a field) is a 4xx too, and harms
    // nothing.
    HttpReply huge =
        jwt.scheduler_call("GET", "/api/v2/status", "Bearer " + std::string(9000, 'A'));
    CHECK(huge.status >= 400);
    CHECK(huge.status < 500);
    CHECK(jwt.serving());
    // The real client reports the refusal and compiles locally.
    const fs::path config = jwt.cluster.client_config(jwt.rsa.mint(client_claims("", -3600)));
    RunResult status = jwt.cluster.sccache_in(jwt.cluster.dir(), {"--dist-status"}, config);
    CHECK(status.out.find("token expired") != std::string::npos);
  }

  SECTION("server tokens") {
    // Server 0's token, presented for another server.
    HttpReply stolen =
        jwt.scheduler_call("POST", "/api/v2/server/jobs_done", "Bearer " + jwt.server_token,
                           R"({"protocol":3,"server_id":"127.0.0.1:1","job_ids":[]})");
    CHECK(stolen.status == 401);
    CHECK(stolen.body.find("this token is for server " + jwt.cluster.server_id(0) +
                           ", not 127.0.0.1:1") != std::string::npos);
    // A token signed with another secret.
    const std::string forged =
        mint_hs256("thirty-two bytes of another key!",
                   fmt::format(R"({{"server_id":"{}"}})", jwt.cluster.server_id(0)));
    HttpReply forged_reply = jwt.scheduler_call(
        "POST", "/api/v2/server/jobs_done", "Bearer " + forged,
        fmt::format(R"({{"protocol":3,"server_id":"{}","job_ids":[]}})", jwt.cluster.server_id(0)));
    CHECK(forged_reply.status == 401);
    CHECK(forged_reply.body.find("invalid token signature") != std::string::npos);
    // A client token is not a server token.
    CHECK(jwt.scheduler_call("POST", "/api/v2/server/jobs_done", "Bearer " + jwt.rsa_token,
                             R"({"protocol":3,"server_id":"127.0.0.1:1","job_ids":[]})")
              .status == 401);
    CHECK(jwt.serving());

    // A build server configured with another server's token refuses to start, saying why.
    const std::string token_of_server_0 = jwt.server_token;
    jwt.make_server_token(free_port());  // picks the port; the token made is not used
    jwt.server_token = token_of_server_0;
    const size_t impostor = jwt.start_server();
    CHECK(jwt.cluster.server(impostor).wait(std::chrono::seconds(20)) == 1);
    const std::string err = jwt.cluster.server(impostor).stderr_text();
    CHECK(err.find("key 'scheduler_auth.token'") != std::string::npos);
    CHECK(err.find("this token is for server " + jwt.cluster.server_id(0)) != std::string::npos);
  }

  SECTION("job tokens") {
    const std::string toolchain(64, 'a');
    auto allocate = [&] {
      HttpReply reply = jwt.scheduler_call(
          "POST", "/api/v2/jobs/alloc", "Bearer " + jwt.ec_token,
          fmt::format(R"({{"protocol":3,"toolchain_id":"{}","wait_ms":0}})", toolchain));
      REQUIRE(reply.status == 200);
      return parse(reply.body);
    };
    auto first = allocate();
    auto second = allocate();
    const std::string token = first->getValue<std::string>("job_token");
    secrets.push_back(token);
    secrets.push_back(signature_of(token));
    const std::string job_a = first->getValue<std::string>("job_id");
    const std::string job_b = second->getValue<std::string>("job_id");
    REQUIRE(job_a != job_b);
    const uint16_t server_port =
        static_cast<uint16_t>(std::stoi(jwt.cluster.server_id(0).substr(10)));
    auto server_call = [&](const std::string& method, const std::string& path,
                           const std::string& bearer) {
      return http_call(server_port, method, path,
                       {.authorization = "Bearer " + bearer, .tls = true});
    };
    HttpReply replayed = server_call("POST", "/api/v2/run/" + job_b, token);
    CHECK(replayed.status == 401);
    CHECK(replayed.body.find("this job token is for another job") != std::string::npos);
    HttpReply other_toolchain =
        server_call("PUT", "/api/v2/toolchains/" + std::string(64, 'b'), token);
    CHECK(other_toolchain.status == 401);
    CHECK(other_toolchain.body.find("another toolchain") != std::string::npos);
    std::string tampered = token;
    tampered[tampered.rfind('.') + 5] ^= 0x01;
    CHECK(server_call("POST", "/api/v2/run/" + job_a, tampered).status == 401);
    CHECK(server_call("POST", "/api/v2/run/" + job_a, mint_unsigned(R"({"job":"x"})")).status ==
          401);
    // A client token is no job token.
    CHECK(server_call("POST", "/api/v2/run/" + job_a, jwt.ec_token).status == 401);
    CHECK(http_call(server_port, "GET", "/api/v2/health", {.tls = true}).status == 200);
  }

  // Stop everything, then read every process's log.
  jwt.cluster.scheduler().signal(SIGTERM);
  jwt.cluster.scheduler().wait();
  jwt.cluster.server(0).signal(SIGTERM);
  jwt.cluster.server(0).wait();
  std::string logs = jwt.cluster.scheduler().stderr_text() + jwt.cluster.scheduler().stdout_text() +
                     jwt.cluster.server(0).stderr_text() + jwt.cluster.server(0).stdout_text();
  CHECK(logs.find("refused") != std::string::npos);  // the logs are there, and say enough
  for (const auto& secret : secrets) {
    INFO("a log holds " << secret.substr(0, 12) << "...");
    CHECK(logs.find(secret) == std::string::npos);
  }
}

TEST_CASE("a client compiling with debug logs never logs its token") {
  JwtCluster jwt;
  jwt.start_server();
  REQUIRE(jwt.cluster.wait_for_servers(1, std::chrono::seconds(20), jwt.rsa_token));
  const fs::path dir = jwt.cluster.dir() / "src";
  write_file(dir / "b.c", "int b(void) { return 7; }\n");
  const std::string config = jwt.cluster.client_config(jwt.rsa_token).string();
  auto never_shows_the_token = [&](const std::string& text) {
    for (const std::string& secret : {jwt.rsa_token, signature_of(jwt.rsa_token)}) {
      CHECK(text.find(secret) == std::string::npos);
    }
  };
  SECTION("compiling in the wrapper's process: the logs go to its stderr") {
    RunResult remote =
        run({sccache_binary().string(), "gcc", "-c", "b.c", "-o", "b.o"},
            {{"SCCACHE_CONF", config}, {"SCCACHE_LOG", "trace"}, {"SCCACHE_NO_DAEMON", "1"}}, dir);
    REQUIRE(remote.exit_code == 0);
    CHECK(remote.err.find("toolchain") != std::string::npos);  // debug logging is on
    never_shows_the_token(remote.err);
    never_shows_the_token(remote.out);
  }
  SECTION("through the local server: the logs go to SCCACHE_ERROR_LOG") {
    // A server of its own, started with trace logging.
    const fs::path server_dir = jwt.cluster.dir() / "server";
    fs::create_directories(server_dir);
    fs::permissions(server_dir, fs::perms::owner_all, fs::perm_options::replace);
    const std::map<std::string, std::string> env = {
        {"SCCACHE_CONF", config},
        {"SCCACHE_LOG", "trace"},
        {"SCCACHE_SERVER_UDS", (server_dir / "s.sock").string()},
        {"SCCACHE_ERROR_LOG", (server_dir / "server.log").string()}};
    RunResult remote = run({sccache_binary().string(), "gcc", "-c", "b.c", "-o", "b.o"}, env, dir);
    run({sccache_binary().string(), "--stop-server"}, env);
    REQUIRE(remote.exit_code == 0);
    never_shows_the_token(remote.err);
    const std::string log = read_file(server_dir / "server.log");
    CHECK(log.find("toolchain") != std::string::npos);
    never_shows_the_token(log);
  }
}

TEST_CASE("a new identity-provider key is picked up without restarting the scheduler") {
  JwtCluster jwt;
  SigningKey next(SigningKey::Kind::ec_p256, "idp-ec-2");
  const std::string next_token = next.mint(client_claims());
  REQUIRE(wait_until([&] { return jwt.serving(); }, std::chrono::seconds(10)));
  CHECK(jwt.scheduler_call("GET", "/api/v2/status", "Bearer " + next_token).status == 401);
  const fs::path staged = jwt.cluster.dir() / "jwks.json.new";
  write_file(staged, jwks({&jwt.ec, &next}));  // rsa retired, next added
  fs::rename(staged, jwt.jwks_path);
  CHECK(jwt.scheduler_call("GET", "/api/v2/status", "Bearer " + next_token).status == 200);
  HttpReply retired = jwt.scheduler_call("GET", "/api/v2/status", "Bearer " + jwt.rsa_token);
  CHECK(retired.status == 401);
  CHECK(retired.body.find("signing key is not in the JWKS") != std::string::npos);
  CHECK(jwt.cluster.scheduler().running());
}

namespace {

// A TLS-terminating reverse proxy in front of the scheduler, as an operator would run one, with
// a certificate for 127.0.0.1 that only `trust_store` vouches for.
class TlsProxy {
 public:
  TlsProxy(uint16_t backend_port, const fs::path& dir) : m_backend_port(backend_port) {
    const auto& factory = *static_cast<const sccache::TransportFactory*>(
        sccache::transport_http::descriptor()->factory);
    m_host = sccache::make_default_host_context(sccache::AppRole::tool, dir);
    sccache::ServerOptions options;
    options.bind_host = "127.0.0.1";
    options.tls = true;
    options.tls_names = {"127.0.0.1"};
    options.worker_threads = 8;
    m_server = factory.create_server("http", options, *m_host);
    m_client = factory.create_client("http", {}, *m_host);
    for (const char* method : {"GET", "POST"}) {
      m_server->add_route(
          method, "/",
          [this](sccache::ServerRequest& in, sccache::ServerResponse& out) { forward(in, out); });
    }
    m_server->start();
    trust_store = dir / "proxy-ca.pem";
    write_file(trust_store, m_server->tls_identity()->certificate_pem);
  }
  std::string url() const { return fmt::format("https://127.0.0.1:{}", m_server->port()); }
  fs::path trust_store;

 private:
  void forward(sccache::ServerRequest& in, sccache::ServerResponse& out) {
    sccache::ClientRequest request;
    request.method = in.method();
    request.path = in.path();
    if (auto auth = in.header("Authorization")) {
      request.headers.emplace_back("Authorization", std::string(*auth));
    }
    request.content_type = std::string(in.header("Content-Type").value_or(""));
    request.body = in.read_body(1 << 20);
    sccache::ClientResponse response =
        m_client->send({false, "127.0.0.1", m_backend_port, ""}, request);
    out.send(response.status, response.header("Content-Type").value_or("application/json"),
             response.body);
  }

  uint16_t m_backend_port;
  std::unique_ptr<sccache::HostContext> m_host;
  std::unique_ptr<sccache::TransportServer> m_server;
  std::unique_ptr<sccache::TransportClient> m_client;
};

}  // namespace

TEST_CASE("clients reach the scheduler over https through a TLS proxy, checking its certificate") {
  JwtCluster jwt;
  jwt.start_server();
  REQUIRE(jwt.cluster.wait_for_servers(1, std::chrono::seconds(20), jwt.rsa_token));
  TlsProxy proxy(jwt.cluster.scheduler_port(), jwt.cluster.dir());
  const fs::path config = jwt.cluster.dir() / "https-client.conf";
  write_file(config,
             fmt::format("[dist]\nscheduler_url = \"{}\"\ncache_dir = \"{}\"\n\n"
                         "[dist.auth]\ntype = \"token\"\ntoken = \"{}\"\n",
                         proxy.url(), (jwt.cluster.dir() / "https-cache").string(), jwt.rsa_token));
  const fs::path dir = jwt.cluster.dir() / "https-src";
  write_file(dir / "c.c", "int c(int x) { return x - 1; }\n");
  REQUIRE(run({"gcc", "-O1", "-c", "c.c", "-o", "local.o"}, {}, dir).exit_code == 0);
  auto compile = [&](std::map<std::string, std::string> env) {
    env["SCCACHE_CONF"] = config.string();
    fs::remove(dir / "remote.o");
    RunResult r =
        run({sccache_binary().string(), "gcc", "-O1", "-c", "c.c", "-o", "remote.o"}, env, dir);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(read_file(dir / "remote.o") == read_file(dir / "local.o"));
    return r;
  };

  // The proxy's certificate is not in the system's trust store: nothing is sent, and the
  // compile happens locally.
  RunResult untrusted = run({sccache_binary().string(), "--dist-status", "--json"},
                            {{"SCCACHE_CONF", config.string()}});
  INFO(untrusted.out);
  CHECK(untrusted.out.find("NotConnected") != std::string::npos);
  CHECK(untrusted.out.find("certificate") != std::string::npos);
  RunResult local = compile({});
  CHECK(local.err.find("compiling locally") != std::string::npos);

  // Trusted (as an operator's CA bundle would make it): status and remote compiles go through.
  const std::map<std::string, std::string> trusted = {
      {"SSL_CERT_FILE", proxy.trust_store.string()}};
  RunResult status =
      run({sccache_binary().string(), "--dist-status", "--json"},
          {{"SCCACHE_CONF", config.string()}, {"SSL_CERT_FILE", proxy.trust_store.string()}});
  CHECK(status.out.find("SchedulerStatus") != std::string::npos);
  RunResult remote = compile(trusted);
  CHECK(remote.err.empty());
  RunResult stats = run({sccache_binary().string(), "--show-stats", "--json"},
                        {{"SCCACHE_CONF", config.string()}});
  auto json = parse(stats.out);
  CHECK(json->getValue<uint64_t>("remote_compiles") == 1);
}
