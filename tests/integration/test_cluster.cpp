// A real scheduler and real build servers on loopback, driven by the real sccache client.
#include <signal.h>
#include <sstream>
#include <unistd.h>

#include <Poco/Net/StreamSocket.h>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/wire.hpp"
#include "integration/cluster_fixture.hpp"
#include "transport-http/tls_identity.hpp"

using namespace sccache;
using namespace sccache::test;
namespace fs = std::filesystem;

namespace {

bool log_contains(const ChildProcess& process, const std::string& needle) {
  return process.stderr_text().find(needle) != std::string::npos;
}

unsigned expected_cpus() {
  cpu_set_t set;
  sched_getaffinity(0, sizeof set, &set);
  return static_cast<unsigned>(CPU_COUNT(&set));
}

const OverlayBuilderRequired g_overlay_builder_required;

}  // namespace

TEST_CASE("two build servers register with their cores; a killed one expires") {
  Cluster cluster;
  cluster.start_scheduler();
  cluster.start_server();
  cluster.start_server();
  REQUIRE(cluster.wait_for_servers(2));

  ServerStatusView status = cluster.status();
  CHECK(status.connected);
  CHECK(status.num_servers == 2);
  CHECK(status.num_cpus == static_cast<int>(2 * expected_cpus()));
  CHECK(status.cpus_by_server[cluster.server_id(0)] == static_cast<int>(expected_cpus()));
  CHECK(status.cpus_by_server[cluster.server_id(1)] == static_cast<int>(expected_cpus()));

  RunResult text = cluster.sccache({"--dist-status"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("connected") != std::string::npos);
  CHECK(text.out.find("2 build servers") != std::string::npos);
  CHECK(text.out.find(cluster.server_id(0)) != std::string::npos);
  CHECK(text.out.find(cluster.server_id(1)) != std::string::npos);

  // The scheduler was told server_timeout_secs = 3: a dead server must be gone within a few
  // seconds of that.
  cluster.server(0).signal(SIGKILL);
  auto killed_at = std::chrono::steady_clock::now();
  REQUIRE(cluster.wait_for_servers(1, std::chrono::seconds(10)));
  auto detected_after = std::chrono::steady_clock::now() - killed_at;
  CHECK(detected_after < std::chrono::milliseconds(5500));
  status = cluster.status();
  CHECK(status.cpus_by_server.count(cluster.server_id(0)) == 0);
  CHECK(status.cpus_by_server.count(cluster.server_id(1)) == 1);
  CHECK(wait_until(
      [&] {
        return log_contains(cluster.scheduler(),
                            fmt::format("build server {} expired", cluster.server_id(0)));
      },
      std::chrono::seconds(5)));

  // Clean shutdown on SIGTERM and SIGINT.
  cluster.server(1).signal(SIGTERM);
  CHECK(cluster.server(1).wait() == 0);
  cluster.scheduler().signal(SIGINT);
  CHECK(cluster.scheduler().wait() == 0);
  CHECK(log_contains(cluster.scheduler(), "shutting down"));
}

TEST_CASE("a server with the wrong token is refused, and no log shows a token") {
  Cluster cluster;
  cluster.start_scheduler("client-secret-AAAA", "server-secret-BBBB");
  cluster.start_server("server-secret-BBBB");
  cluster.start_server("wrong-secret-CCCC");
  // Only the server with the right token registers.
  REQUIRE(cluster.wait_for_servers(1, std::chrono::seconds(20), "client-secret-AAAA"));
  CHECK(wait_until([&] { return log_contains(cluster.scheduler(), "refused build server"); },
                   std::chrono::seconds(10)));
  CHECK(wait_until([&] { return log_contains(cluster.server(1), "refused"); },
                   std::chrono::seconds(10)));
  ServerStatusView status = cluster.status("client-secret-AAAA");
  CHECK(status.cpus_by_server.count(cluster.server_id(0)) == 1);
  CHECK(status.cpus_by_server.count(cluster.server_id(1)) == 0);

  // A client with the wrong token is refused too, and told why.
  RunResult refused = cluster.sccache({"--dist-status"}, "wrong-client-DDDD");
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.find("refused our credentials") != std::string::npos);
  CHECK(wait_until([&] { return log_contains(cluster.scheduler(), "refused client"); },
                   std::chrono::seconds(5)));

  cluster.scheduler().signal(SIGTERM);
  cluster.scheduler().wait();
  for (const ChildProcess* process :
       {&cluster.scheduler(), &cluster.server(0), &cluster.server(1)}) {
    const std::string logs = process->stderr_text() + process->stdout_text();
    for (const char* secret :
         {"client-secret-AAAA", "server-secret-BBBB", "wrong-secret-CCCC", "wrong-client-DDDD"}) {
      CHECK(logs.find(secret) == std::string::npos);
    }
  }
}

TEST_CASE("bad requests get a 4xx and the scheduler keeps serving") {
  Cluster cluster;
  cluster.start_scheduler();
  REQUIRE(wait_until([&] { return cluster.status().connected; }, std::chrono::seconds(10)));
  const uint16_t port = cluster.scheduler_port();
  // Heartbeats are authenticated before they are validated: a caller without the server
  // credential learns nothing of what a valid one holds.
  const std::string server_auth = "Bearer my server token";
  for (const std::string body :
       {"{not json", R"({"protocol":2})", R"({"server_id":"1.2.3.4:5"})"}) {
    HttpReply refused = http_call(port, "POST", "/api/v2/server/heartbeat", {.body = body});
    CHECK(refused.status == 401);
    CHECK(refused.body.find("job_key") == std::string::npos);
    CHECK(refused.body.find("protocol") == std::string::npos);
  }
  // With the credential, for the server id the body claims, the body is validated.
  const std::string incomplete = R"({"server_id":"127.0.0.1:1"})";
  const std::string too_old = R"({"protocol":2,"server_id":"127.0.0.1:1"})";
  CHECK(http_call(port, "POST", "/api/v2/server/heartbeat",
                  {.body = incomplete, .authorization = server_auth})
            .status == 400);
  CHECK(http_call(port, "POST", "/api/v2/server/heartbeat",
                  {.body = too_old, .authorization = server_auth})
            .status == 400);
  CHECK(http_call(port, "POST", "/api/v2/server/heartbeat",
                  {.body = std::string(1000, 'x'), .declared_length = 64 << 20})
            .status == 413);
  HttpReply anonymous = http_call(port, "GET", "/api/v2/status");
  CHECK(anonymous.status == 401);
  CHECK(anonymous.body.find("no bearer token") != std::string::npos);
  CHECK(http_call(port, "GET", "/api/v2/status", {.authorization = "Bearer nope"}).status == 401);
  CHECK(http_call(port, "GET", "/no/such/path").status == 404);
  // Every error reply is typed: a code for programs, a message for people.
  auto typed = [&](const HttpReply& reply) {
    auto error = sccache::parse_error_reply(reply.body);
    return error ? error->code : "(untyped: " + reply.body + ")";
  };
  CHECK(typed(http_call(port, "GET", "/no/such/path")) == "not_found");
  CHECK(typed(http_call(port, "DELETE", "/api/v2/status")) == "method_not_allowed");
  CHECK(typed(anonymous) == "unauthorized");
  CHECK(typed(http_call(port, "POST", "/api/v2/server/heartbeat",
                        {.body = incomplete, .authorization = server_auth})) == "bad_request");
  CHECK(typed(http_call(port, "POST", "/api/v2/server/heartbeat",
                        {.body = too_old, .authorization = server_auth})) == "protocol_version");
  CHECK(http_call(port, "DELETE", "/api/v2/status").status == 405);
  // Garbage that is not HTTP at all.
  {
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
    std::string junk = "\x16\x03\x01 definitely not http\r\n\r\n";
    socket.sendBytes(junk.data(), static_cast<int>(junk.size()));
    char buffer[256];
    socket.setReceiveTimeout(Poco::Timespan(5, 0));
    try {
      socket.receiveBytes(buffer, sizeof buffer);
    } catch (...) {
    }
  }
  CHECK(http_call(port, "GET", "/api/v2/status", {.authorization = "Bearer my client token"})
            .status == 200);
  CHECK(http_call(port, "GET", "/api/v2/health").status == 200);
  CHECK(cluster.scheduler().running());
}

TEST_CASE("a server credential must name its server, and a throwing verifier is a 401") {
  // fixture_auth accepts the token "fixture" for anyone, naming nobody's server, and throws for
  // "throw": the scheduler must hold the line itself.
  Cluster cluster;
  cluster.start_scheduler_with_auth(token_table("my client token"), "type = \"fixture_auth\"\n",
                                    fmt::format("server_timeout_secs = 3\nplugin_dir = \"{}\"\n",
                                                (build_dir() / "test-plugins" / "good").string()));
  REQUIRE(wait_until([&] { return cluster.status().connected; }, std::chrono::seconds(10)));
  const uint16_t port = cluster.scheduler_port();
  sccache::wire::Heartbeat heartbeat;
  heartbeat.server_id = "127.0.0.1:10501";
  heartbeat.num_cpus = heartbeat.max_jobs = 1;
  heartbeat.nonce = "n";
  heartbeat.cert_sha256 = std::string(64, 'a');
  heartbeat.cert_pem = "-";
  heartbeat.job_key = std::string(43, 'k');

  HttpReply posing = http_call(port, "POST", "/api/v2/server/heartbeat",
                               {.body = heartbeat.to_json(), .authorization = "Bearer fixture"});
  CHECK(posing.status == 401);
  CHECK(posing.body.find("does not belong to build server 127.0.0.1:10501") != std::string::npos);

  HttpReply thrown = http_call(port, "POST", "/api/v2/server/heartbeat",
                               {.body = heartbeat.to_json(), .authorization = "Bearer throw"});
  CHECK(thrown.status == 401);
  CHECK(thrown.body.find("could not be checked") != std::string::npos);
  CHECK(thrown.body.find("fixture-internal-detail") == std::string::npos);

  // A server id that is no address (here, one that would forge a log line) is no claim at all:
  // refused without being logged.
  heartbeat.server_id = "127.0.0.1:1\n[info] build server 6.6.6.6:10501 registered";
  HttpReply forged = http_call(port, "POST", "/api/v2/server/heartbeat",
                               {.body = heartbeat.to_json(), .authorization = "Bearer fixture"});
  CHECK(forged.status == 401);
  CHECK(cluster.status().num_servers == 0);
  CHECK(cluster.scheduler().running());
  CHECK(log_contains(cluster.scheduler(), "the auth plugin threw"));
  CHECK_FALSE(log_contains(cluster.scheduler(), "6.6.6.6:10501 registered"));
}

TEST_CASE("the scheduler serves https with the operator's certificate") {
  Cluster cluster;
  // The operator's certificate for 127.0.0.1 (self-signed here; the trust store vouches for it,
  // as a company CA bundle would) and its private key.
  auto material = transport_http::generate_tls_identity({"127.0.0.1"});
  const fs::path certificate = cluster.dir() / "scheduler.pem";
  const fs::path key = cluster.dir() / "scheduler.key";
  write_file(certificate, material.identity.certificate_pem);
  material.key.save("", key.string());
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
  cluster.reach_scheduler_over_https(certificate);
  cluster.start_scheduler(
      "my client token", "my server token",
      fmt::format("server_timeout_secs = 3\n[tls]\ncertificate_file = \"{}\"\nkey_file = \"{}\"\n",
                  certificate.string(), key.string()));
  cluster.start_server();
  REQUIRE(cluster.wait_for_servers(1));
  CHECK(log_contains(cluster.scheduler(), "listening on https://"));
  CHECK(log_contains(cluster.scheduler(), material.identity.certificate_sha256));

  // A compile goes remote through it, byte for byte as a local one.
  const fs::path src = cluster.dir() / "src";
  write_file(src / "tls.c", "int over_tls(int x) { return x * 7; }\n");
  REQUIRE(run({"gcc", "-O2", "-c", "tls.c", "-o", "local.o"}, {}, src).exit_code == 0);
  const fs::path config = cluster.client_config();
  RunResult remote =
      cluster.sccache_in(src, {"gcc", "-O2", "-c", "tls.c", "-o", "remote.o"}, config);
  INFO(remote.err);
  REQUIRE(remote.exit_code == 0);
  CHECK(read_file(src / "remote.o") == read_file(src / "local.o"));
  CHECK(cluster.sccache_in(src, {"--show-stats", "--json"}, config)
            .out.find("\"remote_compiles\":1") != std::string::npos);

  // Plain http to it gets nowhere; the scheduler keeps serving.
  bool plain_http_answered = false;
  try {
    plain_http_answered =
        http_call(cluster.scheduler_port(), "GET", "/api/v2/health").status == 200;
  } catch (const std::exception&) {  // the TLS server hangs up on it
  }
  CHECK_FALSE(plain_http_answered);
  CHECK(cluster.status().connected);
}

TEST_CASE("a [tls] table names its files, and errors name the key") {
  Cluster cluster;
  ChildProcess& scheduler = cluster.start_scheduler(
      "my client token", "my server token",
      "[tls]\ncertificate_file = \"/nonexistent/scheduler.pem\"\nkey_file = \"k.pem\"\n");
  CHECK(scheduler.wait(std::chrono::seconds(20)) != 0);
  CHECK(scheduler.stderr_text().find("key 'tls.certificate_file'") != std::string::npos);
  CHECK(scheduler.stderr_text().find("cannot read /nonexistent/scheduler.pem") !=
        std::string::npos);
}

// Hidden from the default run: ctest runs it alone as test_cluster_default_port, which is
// SKIPPED (exit 125) when something else holds port 10500, without skipping the cases above.
TEST_CASE("the quickstart's scheduler.conf verbatim listens on the default port 10500",
          "[.][default-port]") {
  // Nothing else may hold port 10500 for this case; say so rather than fail obscurely.
  {
    Poco::Net::StreamSocket probe;
    bool taken = false;
    try {
      probe.connect(Poco::Net::SocketAddress("127.0.0.1", 10500), Poco::Timespan(0, 200000));
      taken = true;
    } catch (...) {
    }
    if (taken) {
      skip_whole_binary("port 10500 is in use on this machine; the default-port check cannot run");
    }
  }
  Cluster cluster;
  const fs::path seed = source_dir() / "tests" / "data" / "quickstart";
  ChildProcess scheduler({sccache_dist_binary().string(), "scheduler", "--config",
                          (seed / "scheduler.conf").string()});
  // The client config of the quickstart with the scheduler's address set to loopback.
  std::string client = read_file(seed / "client.conf");
  client.replace(client.find("192.168.1.1"), 11, "127.0.0.1");
  client.replace(client.find("/tmp/toolchains"), 15, (cluster.dir() / "tc").string());
  write_file(cluster.dir() / "client.conf", client);
  CHECK(wait_until(
      [&] {
        RunResult r = run({sccache_binary().string(), "--dist-status", "--json"},
                          {{"SCCACHE_CONF", (cluster.dir() / "client.conf").string()}});
        return r.out.find("\"SchedulerStatus\":[\"http://127.0.0.1:10500\"") != std::string::npos;
      },
      std::chrono::seconds(10)));
  scheduler.signal(SIGTERM);
  CHECK(scheduler.wait() == 0);
}

TEST_CASE("a malformed config stops the daemon with file, line and key") {
  Cluster cluster;
  write_file(cluster.dir() / "bad.conf",
             "[client_auth]\ntype = \"token\"\ntoken = \"abc\"\n\n[server_auth]\ntype = "
             "\"token\"\ntokn = \"oops\"\n");
  RunResult bad = run({sccache_dist_binary().string(), "scheduler", "--config",
                       (cluster.dir() / "bad.conf").string()});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("bad.conf:7:1: key 'server_auth.tokn': unknown key") != std::string::npos);

  write_file(
      cluster.dir() / "unknown.conf",
      "[client_auth]\ntype = \"kerberos\"\n[server_auth]\ntype = \"token\"\ntoken = \"x\"\n");
  RunResult unknown = run({sccache_dist_binary().string(), "scheduler", "--config",
                           (cluster.dir() / "unknown.conf").string()});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("unknown.conf:2:8: key 'client_auth.type'") != std::string::npos);
  CHECK(unknown.err.find("no auth plugin provides type 'kerberos'") != std::string::npos);
  CHECK(unknown.err.find("Directories searched") != std::string::npos);

  RunResult missing = run({sccache_dist_binary().string(), "server", "--config",
                           (cluster.dir() / "nope.conf").string()});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("nope.conf: cannot read config file") != std::string::npos);

  RunResult usage = run({sccache_dist_binary().string(), "scheduler"});
  CHECK(usage.exit_code == 2);
  CHECK(usage.err.find("--config") != std::string::npos);
}

TEST_CASE("--help and --version") {
  for (const auto& binary : {sccache_dist_binary(), sccache_binary()}) {
    RunResult help = run({binary.string(), "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("Usage") != std::string::npos);
    RunResult version = run({binary.string(), "--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.out.find("0.1.0") != std::string::npos);
  }
}

TEST_CASE("--dist-status without a config says distribution is disabled") {
  TempDir dir;
  RunResult r = run({sccache_binary().string(), "--dist-status", "--json"},
                    {{"SCCACHE_CONF", (dir / "absent.conf").string()}});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "{\"Disabled\":\"disabled\"}\n");
}
