#include <sstream>

#include <catch2/catch.hpp>

#include "common/wire.hpp"

using namespace sccache::wire;

TEST_CASE("heartbeat round trip") {
  Heartbeat h;
  h.server_id = "127.0.0.1:10501";
  h.version = "0.1.0";
  h.num_cpus = 8;
  h.max_jobs = 8;
  h.running_jobs = 2;
  h.nonce = "abc";
  h.cert_sha256 = std::string(64, 'a');
  h.cert_pem = "-----BEGIN CERTIFICATE-----\n...\n";
  h.sandbox = "overlay+bwrap 0.8.0";
  h.job_key = std::string(43, 'k');
  h.toolchains = {std::string(64, 'a')};
  h.running_job_ids = {"00000000000000ff"};
  Heartbeat back = Heartbeat::from_json(h.to_json());
  CHECK(back.server_id == h.server_id);
  CHECK(back.num_cpus == 8);
  CHECK(back.running_jobs == 2);
  CHECK(back.cert_pem == h.cert_pem);
  CHECK(back.sandbox == h.sandbox);
  CHECK(back.job_key == h.job_key);
  CHECK(back.toolchains == h.toolchains);
  CHECK(back.running_job_ids == h.running_job_ids);
}

TEST_CASE("job messages round trip, and frames are length-prefixed") {
  JobCommand c;
  c.toolchain_id = std::string(64, 'b');
  c.executable = "/usr/bin/g++";
  c.arguments = {"-c", "a.ii", "-o", "a.o"};
  c.environment = {{"LC_ALL", "C"}};
  c.cwd = "/home/u/p";
  c.outputs = {"/home/u/p/a.o"};
  auto back = JobCommand::from_json(c.to_json());
  CHECK(back.arguments == c.arguments);
  CHECK(back.environment == c.environment);
  CHECK(back.outputs == c.outputs);
  c.cwd = "relative";
  CHECK_THROWS_AS(JobCommand::from_json(c.to_json()), WireError);

  JobResult r;
  r.exit_code = 1;
  r.stderr_data = std::string("caf\xe9 \x01 not utf-8\n");
  r.outputs = {"/a.o"};
  auto result = JobResult::from_json(r.to_json());
  CHECK(result.stderr_data == r.stderr_data);
  CHECK(result.exit_code == 1);

  std::stringstream stream;
  write_frame(stream, "hello");
  write_frame(stream, "");
  stream << "rest";
  CHECK(read_frame(stream, 100) == "hello");
  CHECK(read_frame(stream, 100) == "");
  std::string rest;
  stream >> rest;
  CHECK(rest == "rest");
  std::stringstream big;
  write_frame(big, std::string(200, 'x'));
  CHECK_THROWS_WITH(read_frame(big, 100), Catch::Contains("exceeds"));
  std::stringstream truncated(std::string("\x00\x00\x00\x10", 4) + "abc");
  CHECK_THROWS_AS(read_frame(truncated, 100), WireError);
}

TEST_CASE("malformed heartbeats are WireErrors with a reason") {
  CHECK_THROWS_AS(Heartbeat::from_json("not json"), WireError);
  CHECK_THROWS_AS(Heartbeat::from_json("[1,2]"), WireError);
  CHECK_THROWS_WITH(Heartbeat::from_json(R"({"protocol":3})"),
                    Catch::Contains("missing field 'server_id'"));
  CHECK_THROWS_WITH(Heartbeat::from_json(R"({"protocol":1,"server_id":"a"})"),
                    Catch::Contains("too old"));
  CHECK_THROWS_WITH(
      Heartbeat::from_json(
          R"({"protocol":3,"server_id":"a:1","num_cpus":-1,"max_jobs":1,"running_jobs":0,"nonce":"n","cert_sha256":"x","cert_pem":"y"})"),
      Catch::Contains("out of range"));
  CHECK_THROWS_WITH(
      Heartbeat::from_json(
          R"({"protocol":3,"server_id":"a:1","num_cpus":"four","max_jobs":1,"running_jobs":0,"nonce":"n","cert_sha256":"x","cert_pem":"y"})"),
      Catch::Contains("wrong type"));
}

TEST_CASE("a server id must be an address in printable ASCII, wherever it comes") {
  Heartbeat h;
  h.num_cpus = h.max_jobs = 1;
  h.nonce = "n";
  h.cert_sha256 = std::string(64, 'a');
  h.cert_pem = "-";
  h.job_key = std::string(43, 'k');
  for (const std::string id : {"127.0.0.1:10501", "[::1]:10501", "build-7.example.com:10501"}) {
    h.server_id = id;
    CHECK(Heartbeat::from_json(h.to_json()).server_id == id);
  }
  for (const std::string& id : std::vector<std::string>{
           "", "127.0.0.1", "127.0.0.1:1\nforged log line", "127.0.0.1:1\x1b[2J", "a b:1",
           "127.0.0.1:99999", std::string(300, 'a') + ":1"}) {
    INFO(id);
    h.server_id = id;
    CHECK_THROWS_WITH(Heartbeat::from_json(h.to_json()), Catch::Contains("server_id must be"));
    JobsDone done;
    done.server_id = id;
    CHECK_THROWS_AS(JobsDone::from_json(done.to_json()), WireError);
    JobFailure failure;
    failure.server_id = id;
    CHECK_THROWS_AS(JobFailure::from_json(failure.to_json()), WireError);
  }
}

TEST_CASE("scheduler status round trip") {
  SchedulerStatus s;
  s.version = "0.1.0";
  s.num_servers = 1;
  s.num_cpus = 4;
  s.servers.push_back({"127.0.0.1:1", "0.1.0", 4, 4, 1, 250, "overlay"});
  auto back = SchedulerStatus::from_json(s.to_json());
  REQUIRE(back.servers.size() == 1);
  CHECK(back.servers[0].id == "127.0.0.1:1");
  CHECK(back.servers[0].last_heartbeat_ms == 250);
}

TEST_CASE("error replies are typed: code, message, retryable") {
  const std::string body = error_json(ErrorCode::toolchain_corrupt, "bad \"bytes\"");
  ErrorInfo error = error_of(400, body);
  CHECK(error.code == ErrorCode::toolchain_corrupt);
  CHECK(error.message == "bad \"bytes\"");
  CHECK_FALSE(error.retryable);
  CHECK(error_from_body(body) == "bad \"bytes\"");
  CHECK(http_status(ErrorCode::no_capacity) == 503);
  CHECK(error_of(503, error_json(ErrorCode::no_capacity, "busy")).retryable);
  // The sender may say otherwise than the code's default.
  CHECK_FALSE(error_of(503, error_json(ErrorCode::no_capacity, "busy", false)).retryable);
  // Every code has a name that reads back as itself.
  for (ErrorCode code :
       {ErrorCode::bad_request, ErrorCode::protocol_version, ErrorCode::unauthorized,
        ErrorCode::not_found, ErrorCode::method_not_allowed, ErrorCode::toolchain_missing,
        ErrorCode::body_too_large, ErrorCode::toolchain_too_large, ErrorCode::toolchain_corrupt,
        ErrorCode::inputs_invalid, ErrorCode::sandbox_failure, ErrorCode::toolchain_failed,
        ErrorCode::no_capacity, ErrorCode::internal}) {
    CHECK(error_code_from(to_string(code)) == code);
  }
}

TEST_CASE("an error body that is not typed gets the code its status implies") {
  // An older peer's {"error": "text"}, a proxy's HTML page, a newer peer's unknown code.
  ErrorInfo old_style = error_of(409, R"({"error": "need it"})");
  CHECK(old_style.code == ErrorCode::toolchain_missing);
  ErrorInfo html = error_of(502, "<html>bad gateway</html>");
  CHECK(html.code == ErrorCode::internal);
  CHECK(html.message == "<html>bad gateway</html>");
  ErrorInfo newer = error_of(401, R"({"error":{"code":"token_from_the_future","message":"m"}})");
  CHECK(newer.code == ErrorCode::unauthorized);
  CHECK(newer.message == "m");
  CHECK(error_from_body("plain text") == "plain text");
}

TEST_CASE("a message from an older protocol version is refused as protocol_version") {
  AllocRequest request{std::string(64, 'a'), 0};
  std::string json = request.to_json();
  const std::string current = "\"protocol\":" + std::to_string(k_protocol_version);
  REQUIRE(json.find(current) != std::string::npos);
  json.replace(json.find(current), current.size(), "\"protocol\":2");
  try {
    AllocRequest::from_json(json);
    FAIL("protocol 2 was accepted");
  } catch (const WireError& e) {
    CHECK(e.code() == ErrorCode::protocol_version);
  }
}

TEST_CASE("a toolchain id must be a SHA-256; commands with a NUL byte are refused") {
  const std::vector<std::string> bad_ids = {"../../etc/passwd", "", std::string(64, 'A'),
                                            std::string(63, 'a'), std::string(65, 'a')};
  for (const std::string& bad : bad_ids) {
    INFO(bad);
    AllocRequest alloc{bad, 0};
    CHECK_THROWS_AS(AllocRequest::from_json(alloc.to_json()), WireError);
    JobCommand c;
    c.toolchain_id = bad;
    c.executable = "/usr/bin/gcc";
    c.cwd = "/w";
    CHECK_THROWS_AS(JobCommand::from_json(c.to_json()), WireError);
  }
  CHECK(AllocRequest::from_json(AllocRequest{std::string(64, 'f'), 0}.to_json()).toolchain_id ==
        std::string(64, 'f'));

  JobCommand c;
  c.toolchain_id = std::string(64, 'b');
  c.executable = "/usr/bin/gcc";
  c.cwd = "/w";
  c.arguments = {"-c", std::string("a\0b.c", 5)};
  try {
    JobCommand::from_json(c.to_json());
    FAIL("a NUL byte in an argument was accepted");
  } catch (const WireError& e) {
    CHECK(e.code() == ErrorCode::bad_request);
    CHECK(std::string(e.what()).find("NUL") != std::string::npos);
  }
  c.arguments = {"-c", "a.c"};
  c.environment = {{"X", std::string("1\0", 2)}};
  CHECK_THROWS_AS(JobCommand::from_json(c.to_json()), WireError);
}

TEST_CASE("the server id a heartbeat claims is read without validating the rest") {
  CHECK(Heartbeat::claimed_server_id(R"({"server_id":"10.0.0.2:10501","job_key":"x"})") ==
        "10.0.0.2:10501");
  CHECK(Heartbeat::claimed_server_id("not json").empty());
  CHECK(Heartbeat::claimed_server_id(R"({"server_id":5})").empty());
  CHECK(Heartbeat::claimed_server_id(R"({"server_id":"1.2.3.4:1\n[info] forged"})").empty());
  CHECK(Heartbeat::claimed_server_id("{}").empty());
}

TEST_CASE("protocol 4: progress frames before the final one, and each side's protocol known") {
  std::stringstream stream;
  write_progress_frame(stream);
  write_progress_frame(stream);
  write_frame(stream, R"({"error":{"code":"no_space","message":"full","retryable":true}})");
  int progress = 0;
  const std::string final_frame = read_final_frame(stream, 1000, [&] { ++progress; });
  CHECK(progress == 2);
  CHECK(final_frame.find("no_space") != std::string::npos);
  // A progress callback may give up (the client's overall job deadline).
  std::stringstream endless;
  for (int i = 0; i < 3; ++i) {
    write_progress_frame(endless);
  }
  CHECK_THROWS_AS(read_final_frame(endless, 1000, [] { throw WireError("past the deadline"); }),
                  WireError);
  // Only progress, then the connection ends: truncated, never an empty result.
  std::stringstream cut;
  write_progress_frame(cut);
  CHECK_THROWS_AS(read_final_frame(cut, 1000, [] {}), WireError);

  JobCommand command;
  command.toolchain_id = std::string(64, 'a');
  command.executable = "/usr/bin/gcc";
  command.cwd = "/tmp";
  CHECK(JobCommand::from_json(command.to_json()).protocol == k_protocol_version);
  command.protocol = 3;  // an older client: no progress frames for it
  CHECK(JobCommand::from_json(command.to_json()).protocol == 3);

  AllocReply alloc;
  alloc.job_id = "j1";
  alloc.server_id = "10.0.0.1:10501";
  alloc.server_protocol = 4;
  CHECK(AllocReply::from_json(alloc.to_json()).server_protocol == 4);
  // A scheduler of protocol 3 says nothing of its servers: they speak 3.
  CHECK(
      AllocReply::from_json(
          R"({"job_id":"j","server_id":"1.2.3.4:5","cert_sha256":"c","job_token":"t","need_toolchain":false})")
          .server_protocol == 3);
  CHECK(http_status(ErrorCode::no_space) == 507);
  CHECK(error_of(507, "").code == ErrorCode::no_space);
}

TEST_CASE("a result whose output is not base64 is a WireError (found by fuzz_wire_messages)") {
  CHECK_THROWS_WITH(
      JobResult::from_json(
          R"({"exit_code":0,"term_signal":0,"stdout":"aGk)=","stderr":"","outputs":[]})"),
      Catch::Contains("not base64"));
}
