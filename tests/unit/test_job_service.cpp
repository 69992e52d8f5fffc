// The build server's JobService, its handlers called through the routes it adds to a recording
// TransportServer, with small in-memory requests and responses and a fake sandbox (the real
// sandboxes have their own conformance suite). What it proves: a job token authorizes exactly
// one run of its job, on its server, with its toolchain, and nothing else; a refused request does
// not use the token up; a missing toolchain is a 409 the client answers with an upload, after
// which the same token runs the job.
#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <spdlog/logger.h>

#include "util/sha256.hpp"
#include "util/tar.hpp"

#include "buildserver/job_service.hpp"
#include "buildserver/toolchain_archives.hpp"
#include "common/job_token.hpp"
#include "common/wire.hpp"
#include "support/test_support.hpp"

using namespace sccache;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_server_id = "127.0.0.1:10501";

class FakeRequest final : public ServerRequest {
 public:
  FakeRequest(std::string method, std::string path, HeaderList headers, std::string body)
      : m_method(std::move(method)),
        m_path(std::move(path)),
        m_headers(std::move(headers)),
        m_length(static_cast<int64_t>(body.size())),
        m_body(std::move(body)) {}
  const std::string& method() const override { return m_method; }
  const std::string& path() const override { return m_path; }
  const std::string& query() const override { return m_query; }
  const HeaderList& headers() const override { return m_headers; }
  const std::string& peer_address() const override { return m_peer; }
  int64_t content_length() const override { return m_length; }
  std::istream& body() override { return m_body; }

 private:
  std::string m_method, m_path, m_query, m_peer = "127.0.0.1:40000";
  HeaderList m_headers;
  int64_t m_length;
  std::istringstream m_body;
};

class FakeResponse final : public ServerResponse {
 public:
  void send(int status, std::string_view, std::string_view body, const HeaderList&) override {
    REQUIRE_FALSE(sent());
    m_status = status;
    m_body << body;
  }
  std::ostream& stream(int status, std::string_view, const HeaderList&) override {
    REQUIRE_FALSE(sent());
    m_status = status;
    return m_body;
  }
  bool sent() const override { return m_status != 0; }
  int status() const { return m_status; }
  std::string body() const { return m_body.str(); }
  // The error code of an error reply, "" if the body is none.
  std::string error_code() const {
    auto error = parse_error_reply(body());
    return error ? error->code : "";
  }

 private:
  int m_status = 0;
  std::ostringstream m_body;
};

// Keeps the routes JobService adds, to call them as the transport would.
class RecordingServer final : public TransportServer {
 public:
  void add_route(std::string method, std::string path, RouteHandler handler) override {
    m_routes.push_back({std::move(method), std::move(path), std::move(handler)});
  }
  void start() override {}
  void stop() override {}
  uint16_t port() const override { return 0; }
  std::optional<TlsIdentity> tls_identity() const override { return std::nullopt; }

  // Routes by method and path prefix (every JobService route ends with '/').
  std::unique_ptr<FakeResponse> call(const std::string& method, const std::string& path,
                                     const std::string& token, std::string body) {
    HeaderList headers;
    if (!token.empty()) {
      headers.emplace_back("Authorization", "Bearer " + token);
    }
    FakeRequest request(method, path, headers, std::move(body));
    auto response = std::make_unique<FakeResponse>();
    for (const auto& route : m_routes) {
      if (route.method == method && path.rfind(route.path, 0) == 0) {
        route.handler(request, *response);
        return response;
      }
    }
    FAIL("no route for " << method << " " << path);
    return response;
  }

 private:
  struct Route {
    std::string method, path;
    RouteHandler handler;
  };
  std::vector<Route> m_routes;
};

// "Compiles" by copying each input named in the arguments to the output named after -o.
class FakeSandbox final : public Sandbox {
 public:
  void check_ready() override {}
  void prepare_toolchain(const std::string& id, const fs::path& archive) override {
    std::lock_guard lock(m_mutex);
    m_prepared.emplace_back(id, test::read_file(archive));
  }
  bool has_toolchain(const std::string& id) const override {
    std::lock_guard lock(m_mutex);
    return std::any_of(m_prepared.begin(), m_prepared.end(),
                       [&](const auto& p) { return p.first == id; });
  }
  void evict_toolchain(const std::string&) override {}
  SandboxResult run(const SandboxJob& job) override {
    {
      std::lock_guard lock(m_mutex);
      m_jobs.push_back(job);
    }
    std::this_thread::sleep_for(run_time.load());  // the compile's own duration, not a handshake
    if (fail) {
      throw SandboxError("the fake sandbox failed");
    }
    const std::string source = test::read_file(job.inputs_root / "work" / "a.c");
    fs::create_directories(job.outputs_root / "work");
    test::write_file(job.outputs_root / "work" / "a.o", "object of " + source);
    SandboxResult result;
    result.exit_code = 0;
    result.stdout_data = "compiled by " + job.executable;
    result.collected = {"/work/a.o"};
    return result;
  }
  std::string describe() const override { return "fake"; }

  std::atomic<std::chrono::milliseconds> run_time{std::chrono::milliseconds(0)};
  std::atomic<bool> fail{false};

  std::vector<SandboxJob> jobs() const {
    std::lock_guard lock(m_mutex);
    return m_jobs;
  }
  std::vector<std::pair<std::string, std::string>> prepared() const {
    std::lock_guard lock(m_mutex);
    return m_prepared;
  }

 private:
  mutable std::mutex m_mutex;
  std::vector<SandboxJob> m_jobs;
  std::vector<std::pair<std::string, std::string>> m_prepared;  // id, archive contents
};

struct Service {
  test::TempDir dir{"sccache-job-service"};
  const std::string key = make_job_key();
  const std::string toolchain = "pretend this is a toolchain archive";
  const std::string toolchain_id = util::sha256_hex(toolchain);
  FakeSandbox sandbox;
  ToolchainArchives archives{dir / "tc", 1 << 20, [](const std::string&) {}};
  std::mutex done_mutex;
  std::vector<std::string> done;
  JobService service{{k_server_id, key, dir / "jobs", 2, 1 << 20},
                     sandbox,
                     archives,
                     std::make_shared<spdlog::logger>("job-service-test"),
                     [this](const std::string& id) {
                       std::lock_guard lock(done_mutex);
                       done.push_back(id);
                     }};
  RecordingServer server;

  Service() { service.add_routes(server); }

  std::string token(const std::string& job_id, const std::string& server_id = k_server_id,
                    const std::string& tc = {}) const {
    return issue_job_token(key, {job_id, server_id, tc.empty() ? toolchain_id : tc, {}});
  }
  std::unique_ptr<FakeResponse> upload(const std::string& token, const std::string& id,
                                       const std::string& bytes) {
    return server.call("PUT", std::string(wire::k_toolchain_path_prefix) + id, token, bytes);
  }
  std::unique_ptr<FakeResponse> run(const std::string& job_id, const std::string& token,
                                    const std::string& tc = {},
                                    int protocol = wire::k_protocol_version) {
    wire::JobCommand command;
    command.protocol = protocol;
    command.toolchain_id = tc.empty() ? toolchain_id : tc;
    command.executable = "/usr/bin/cc";
    command.arguments = {"-c", "a.c", "-o", "a.o"};
    command.cwd = "/work";
    command.outputs = {"a.o"};
    std::ostringstream body;
    wire::write_frame(body, command.to_json());
    util::write_tar_zst(body, {{"/work/a.c", {}, "int main() {}\n", 0644}});
    return server.call("POST", std::string(wire::k_run_path_prefix) + job_id, token, body.str());
  }
  std::vector<std::string> done_jobs() {
    std::lock_guard lock(done_mutex);
    return done;
  }
};

// The JobResult and the outputs ("path=contents") of a 200 run reply; `progress` counts the
// progress frames before the result.
std::pair<wire::JobResult, std::vector<std::string>> read_run_reply(const FakeResponse& response,
                                                                    int* progress = nullptr) {
  std::istringstream in(response.body());
  int frames = 0;
  wire::JobResult result =
      wire::JobResult::from_json(wire::read_final_frame(in, 1 << 20, [&] { ++frames; }));
  if (progress != nullptr) {
    *progress = frames;
  }
  util::UntrustedTarReader outputs(in, "the outputs", {100, 1 << 20});
  std::vector<std::string> files;
  while (archive_entry* entry = outputs.next()) {
    (void)entry;
    std::string contents;
    char buffer[1024];
    while (size_t n = outputs.read(buffer, sizeof buffer)) {
      contents.append(buffer, n);
    }
    files.push_back(contents);
  }
  return {result, files};
}

}  // namespace

TEST_CASE("a missing toolchain is a 409; after the upload the same token runs the job") {
  Service s;
  const std::string job = "0000000000000001";
  const std::string token = s.token(job);

  auto missing = s.run(job, token);
  CHECK(missing->status() == 409);
  CHECK(missing->error_code() == "toolchain_missing");
  CHECK(s.sandbox.jobs().empty());
  CHECK(s.done_jobs().empty());  // not started, so not reported as done

  auto stored = s.upload(token, s.toolchain_id, s.toolchain);
  CHECK(stored->status() == 200);
  CHECK(s.archives.contains(s.toolchain_id));

  auto ran = s.run(job, token);
  REQUIRE(ran->status() == 200);
  auto [result, outputs] = read_run_reply(*ran);
  CHECK(result.exit_code == 0);
  CHECK(result.stdout_data == "compiled by /usr/bin/cc");
  CHECK(result.outputs == std::vector<std::string>{"/work/a.o"});
  CHECK(outputs == std::vector<std::string>{"object of int main() {}\n"});
  // The sandbox got the uploaded archive and the command as sent.
  REQUIRE(s.sandbox.prepared().size() == 1);
  CHECK(s.sandbox.prepared()[0] == std::make_pair(s.toolchain_id, s.toolchain));
  REQUIRE(s.sandbox.jobs().size() == 1);
  const SandboxJob sent = s.sandbox.jobs()[0];
  CHECK(sent.toolchain_id == s.toolchain_id);
  CHECK(sent.arguments == std::vector<std::string>{"-c", "a.c", "-o", "a.o"});
  CHECK(sent.cwd == "/work");
  CHECK(s.done_jobs() == std::vector<std::string>{job});
  CHECK(s.service.running_jobs() == 0);

  // A second upload of a stored toolchain is read and acknowledged, not stored again.
  auto again = s.upload(s.token("0000000000000002"), s.toolchain_id, s.toolchain);
  CHECK(again->status() == 200);
  CHECK(again->body().find("false") != std::string::npos);
}

TEST_CASE("a job token works once: a replay is refused with 401") {
  Service s;
  REQUIRE(s.upload(s.token("00000000000000aa"), s.toolchain_id, s.toolchain)->status() == 200);
  const std::string job = "00000000000000ab";
  const std::string token = s.token(job);
  REQUIRE(s.run(job, token)->status() == 200);
  auto replay = s.run(job, token);
  CHECK(replay->status() == 401);
  CHECK(replay->error_code() == "unauthorized");
  // A fresh token for the same job id is refused too: the job id is used up, not the string.
  CHECK(s.run(job, s.token(job))->status() == 401);
  CHECK(s.sandbox.jobs().size() == 1);
  CHECK(s.done_jobs() == std::vector<std::string>{job});
}

TEST_CASE("a token for another server, job or toolchain is refused with 401") {
  Service s;
  const std::string other_tc = util::sha256_hex("another toolchain");
  const std::string job = "00000000000000c1";
  SECTION("uploads") {
    CHECK(s.upload(s.token(job, "10.0.0.9:10501"), s.toolchain_id, s.toolchain)->status() == 401);
    CHECK(s.upload(s.token(job, k_server_id, other_tc), s.toolchain_id, s.toolchain)->status() ==
          401);
    CHECK(s.upload("", s.toolchain_id, s.toolchain)->status() == 401);
    CHECK(s.upload("not.a.token", s.toolchain_id, s.toolchain)->status() == 401);
    const std::string foreign_key =
        issue_job_token(make_job_key(), {job, k_server_id, s.toolchain_id, {}});
    CHECK(s.upload(foreign_key, s.toolchain_id, s.toolchain)->status() == 401);
    CHECK_FALSE(s.archives.contains(s.toolchain_id));
  }
  SECTION("runs") {
    REQUIRE(s.upload(s.token(job), s.toolchain_id, s.toolchain)->status() == 200);
    const std::string token = s.token(job);
    CHECK(s.run(job, s.token(job, "10.0.0.9:10501"))->status() == 401);
    CHECK(s.run("00000000000000c2", token)->status() == 401);                 // another job's URL
    CHECK(s.run(job, token, other_tc)->status() == 401);                      // command's toolchain
    CHECK(s.run(job, s.token(job, k_server_id, other_tc))->status() == 401);  // token's one
    CHECK(s.run(job, "")->status() == 401);
    CHECK(s.sandbox.jobs().empty());
    // None of the refusals used the job up: its own token still runs it.
    CHECK(s.run(job, token)->status() == 200);
  }
}

TEST_CASE("uploads are checked against their id; job ids against their form") {
  Service s;
  const std::string job = "00000000000000d1";
  auto corrupt = s.upload(s.token(job), s.toolchain_id, s.toolchain + " tampered");
  CHECK(corrupt->status() == 400);
  CHECK(corrupt->error_code() == "toolchain_corrupt");
  CHECK_FALSE(s.archives.contains(s.toolchain_id));
  CHECK(s.run("not-hex!", s.token("not-hex!"))->status() == 404);
}

TEST_CASE("protocol 4: progress while the job runs, and a late failure as the final frame") {
  Service s;
  REQUIRE(s.upload(s.token("00000000000000e0"), s.toolchain_id, s.toolchain)->status() == 200);
  s.sandbox.run_time = std::chrono::milliseconds(2500);
  int progress = -1;
  auto current = s.run("00000000000000e1", s.token("00000000000000e1"));
  REQUIRE(current->status() == 200);
  auto [result, outputs] = read_run_reply(*current, &progress);
  CHECK(result.exit_code == 0);
  CHECK(outputs == std::vector<std::string>{"object of int main() {}\n"});
  // One at the start and one a second during the 2.5 s run.
  CHECK(progress >= 3);
  // A client of protocol 3 reads the result first, as it always did.
  auto older = s.run("00000000000000e2", s.token("00000000000000e2"), {}, 3);
  REQUIRE(older->status() == 200);
  read_run_reply(*older, &progress);
  CHECK(progress == 0);

  s.sandbox.run_time = std::chrono::milliseconds(0);
  s.sandbox.fail = true;
  auto failed = s.run("00000000000000e3", s.token("00000000000000e3"));
  REQUIRE(failed->status() == 200);  // answered before the sandbox failed
  std::istringstream in(failed->body());
  auto error = parse_error_reply(wire::read_final_frame(in, 1 << 20, [] {}));
  REQUIRE(error);
  CHECK(error->code == "sandbox_failure");
  CHECK(error->retryable);
  CHECK(in.peek() == std::char_traits<char>::eof());  // nothing after the final frame
  auto failed_old = s.run("00000000000000e4", s.token("00000000000000e4"), {}, 3);
  CHECK(failed_old->status() == 500);
  CHECK(failed_old->error_code() == "sandbox_failure");
}
