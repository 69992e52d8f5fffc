#include "buildserver/job_service.hpp"

#include <cerrno>
#include <optional>
#include <random>
#include <sys/statvfs.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sccache/auth.hpp"
#include "sccache/deferred_removal.hpp"

#include "util/fs.hpp"
#include "util/tar.hpp"

#include "buildserver/job_reply.hpp"
#include "common/http_replies.hpp"
#include "common/wire.hpp"

namespace sccache {
namespace fs = std::filesystem;

namespace {

constexpr uint32_t k_max_command_bytes = 4u << 20;
// A job's inputs are a preprocessed unit and the sources its diagnostics may quote.
constexpr uint64_t k_max_input_entries = 100000;
// How long a job waits for another client's upload of its toolchain before asking for it (409).
constexpr auto k_upload_wait = std::chrono::minutes(5);
// Below this much free space a failed compile is taken for the full disk's fault.
constexpr uint64_t k_min_free_bytes = 4u << 20;
// Used job ids are remembered past any token's lifetime, so a token can never be replayed.
constexpr auto k_used_job_memory = std::chrono::minutes(30);

bool is_job_id(std::string_view id) {
  return !id.empty() && id.size() <= 32 &&
         std::all_of(id.begin(), id.end(), [](char c) { return std::isxdigit(c) != 0; });
}

// A per-job scratch directory, queued for removal on scope exit (the reply need not wait for it).
class JobDir {
 public:
  JobDir(const fs::path& jobs_dir, const std::string& job_id)
      : m_path(jobs_dir / fmt::format("{}-{:x}", job_id, std::random_device{}())) {
    fs::create_directories(m_path / "inputs");
    fs::create_directories(m_path / "outputs");
  }
  ~JobDir() { remove_tree_later(m_path); }
  fs::path inputs() const { return m_path / "inputs"; }
  fs::path outputs() const { return m_path / "outputs"; }

 private:
  fs::path m_path;
};

// Whether a failed compile failed because the compiler could not run from its toolchain (a
// program or library missing from the archive, or the compiler crashing) rather than because of
// the user's code. The words are the compiler driver's and the dynamic loader's own; this is the
// one place they are looked at, and what goes back is the typed error toolchain_failed.
bool compiler_could_not_run(std::string_view stderr_text) {
  for (const char* marker : {"cannot execute '", "error while loading shared libraries",
                             "execvp:", "internal compiler error"}) {
    if (stderr_text.find(marker) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// Whether the file system holding `dir` has (almost) no room left for a compile's outputs.
bool disk_is_full(const fs::path& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) {
    return false;
  }
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize < k_min_free_bytes;
}

// Compilers inside the sandbox need a PATH to find `as` and a writable TMPDIR.
void add_default_environment(std::vector<std::pair<std::string, std::string>>& env) {
  auto has = [&](std::string_view key) {
    return std::any_of(env.begin(), env.end(), [&](const auto& kv) { return kv.first == key; });
  };
  if (!has("PATH")) {
    env.emplace_back("PATH", "/usr/local/bin:/usr/bin:/bin");
  }
  if (!has("TMPDIR")) {
    env.emplace_back("TMPDIR", "/tmp");
  }
}

}  // namespace

class JobService::Slot {
 public:
  explicit Slot(JobService& service) : m_service(service) {
    std::unique_lock lock(m_service.m_mutex);
    m_service.m_slot_free.wait(
        lock, [&] { return m_service.m_busy_slots < m_service.m_options.max_jobs; });
    ++m_service.m_busy_slots;
  }
  ~Slot() {
    {
      std::lock_guard lock(m_service.m_mutex);
      --m_service.m_busy_slots;
    }
    m_service.m_slot_free.notify_one();
  }

 private:
  JobService& m_service;
};

JobService::JobService(JobServiceOptions options, Sandbox& sandbox, ToolchainArchives& toolchains,
                       std::shared_ptr<spdlog::logger> log,
                       std::function<void(const std::string&)> on_done)
    : m_options(std::move(options)),
      m_sandbox(sandbox),
      m_toolchains(toolchains),
      m_log(std::move(log)),
      m_on_done(std::move(on_done)) {
  std::error_code ec;
  fs::remove_all(m_options.jobs_dir, ec);            // leftovers of an earlier run
  util::make_private_directory(m_options.jobs_dir);  // clients' sources: no other user's to read
}

void JobService::add_routes(TransportServer& server) {
  server.add_route("PUT", std::string(wire::k_toolchain_path_prefix),
                   [this](ServerRequest& rq, ServerResponse& rs) { handle_upload(rq, rs); });
  server.add_route("POST", std::string(wire::k_run_path_prefix),
                   [this](ServerRequest& rq, ServerResponse& rs) { handle_run(rq, rs); });
}

std::vector<std::string> JobService::running_job_ids() const {
  std::lock_guard lock(m_mutex);
  std::set<std::string> ids(m_running.begin(), m_running.end());
  for (const auto& [id, requests] : m_arrived) {
    ids.insert(id);
  }
  return {ids.begin(), ids.end()};
}

JobService::Arrival::Arrival(JobService& service, std::string job_id)
    : m_service(service), m_job_id(std::move(job_id)) {
  std::lock_guard lock(m_service.m_mutex);
  ++m_service.m_arrived[m_job_id];
}

JobService::Arrival::~Arrival() {
  std::lock_guard lock(m_service.m_mutex);
  if (--m_service.m_arrived[m_job_id] == 0) {
    m_service.m_arrived.erase(m_job_id);
  }
}

unsigned JobService::running_jobs() const {
  std::lock_guard lock(m_mutex);
  return static_cast<unsigned>(m_running.size());
}

std::optional<JobClaims> JobService::authorize(ServerRequest& request, ServerResponse& response) {
  std::string reason;
  auto claims = verify_job_token(
      m_options.job_key, bearer_token(request.header("Authorization").value_or("")), &reason);
  if (!claims) {
    m_log->warn("refused {} {} from {}: {}", request.method(), request.path(),
                request.peer_address(), reason);
    reply_unauthorized(response, reason);
    return std::nullopt;
  }
  if (claims->server_id != m_options.server_id) {
    reply_unauthorized(response, "this job token is for another build server");
    return std::nullopt;
  }
  return claims;
}

bool JobService::job_was_claimed(const std::string& job_id) const {
  std::lock_guard lock(m_mutex);
  return m_used_jobs.count(job_id) != 0;
}

bool JobService::claim_job(const std::string& job_id) {
  std::lock_guard lock(m_mutex);
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(m_used_jobs, [&](const auto& j) { return now - j.second > k_used_job_memory; });
  return m_used_jobs.emplace(job_id, now).second;
}

void JobService::handle_upload(ServerRequest& request, ServerResponse& response) {
  const std::string id = request.path().substr(wire::k_toolchain_path_prefix.size());
  auto claims = authorize(request, response);
  if (!claims) {
    return;
  }
  if (claims->toolchain_id != id) {
    reply_unauthorized(response, "this job token is for another toolchain");
    return;
  }
  const Arrival arrival(*this, claims->job_id);
  if (m_toolchains.contains(id)) {
    // Another client's upload finished first. Read this one to the end anyway: answering before
    // the body is consumed would break the sender's connection mid-upload.
    std::istream& body = request.body();
    char sink[65536];
    while (body.read(sink, sizeof sink) || body.gcount() > 0) {
    }
    reply_json(response, 200, R"({"stored":false})");
    return;
  }
  try {
    m_toolchains.store(id, request.body());
  } catch (const ToolchainRejected& e) {
    m_log->warn("rejected toolchain {} from {}: {}", id.substr(0, 12), request.peer_address(),
                e.what());
    reply_error(response, e.code(), e.what());
    return;
  }
  m_log->info("stored toolchain {} from {}", id.substr(0, 12), request.peer_address());
  reply_json(response, 200, R"({"stored":true})");
}

void JobService::handle_run(ServerRequest& request, ServerResponse& response) {
  const std::string job_id = request.path().substr(wire::k_run_path_prefix.size());
  if (!is_job_id(job_id)) {
    reply_error(response, wire::ErrorCode::not_found, "no such job");
    return;
  }
  auto claims = authorize(request, response);
  if (!claims) {
    return;
  }
  if (claims->job_id != job_id) {
    reply_unauthorized(response, "this job token is for another job");
    return;
  }
  const Arrival arrival(*this, job_id);
  wire::JobCommand command;
  try {
    command = wire::JobCommand::from_json(wire::read_frame(request.body(), k_max_command_bytes));
  } catch (const wire::WireError& e) {
    reply_error(response, e);
    return;
  }
  if (command.toolchain_id != claims->toolchain_id) {
    reply_unauthorized(response, "this job token is for another toolchain");
    return;
  }
  JobReply reply(response, command.protocol);
  fs::path archive = m_toolchains.use(command.toolchain_id);
  if (archive.empty() && !m_toolchains.uploading(command.toolchain_id)) {
    reply.error(wire::ErrorCode::toolchain_missing, "the toolchain is not on this server");
    return;
  }
  if (job_was_claimed(job_id)) {
    reply.error(wire::ErrorCode::unauthorized, "this job already ran (job tokens are single-use)");
    return;
  }
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point since) {
    return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
  };
  const auto started = Clock::now();
  std::optional<JobDir> dir;
  try {
    dir.emplace(m_options.jobs_dir, job_id);
    util::extract_tar(request.body(), dir->inputs(),
                      {k_max_input_entries, m_options.max_input_bytes});
  } catch (const util::ArchiveError& e) {
    if (e.out_of_space()) {
      m_log->error("job {}: no room for its inputs: {}", job_id, e.what());
      reply.error(wire::ErrorCode::no_space, "no room on this build server for the job's inputs");
    } else {
      reply.error(wire::ErrorCode::inputs_invalid, fmt::format("bad job inputs: {}", e.what()));
    }
    return;
  } catch (const fs::filesystem_error& e) {
    // Our own directory could not be made: the server's fault, never the client's (no host path
    // goes back).
    m_log->error("job {}: cannot make its directory: {}", job_id, e.what());
    const bool full = e.code() == std::errc::no_space_on_device || e.code().value() == EDQUOT;
    reply.error(full ? wire::ErrorCode::no_space : wire::ErrorCode::internal,
                "this build server cannot make the job's directory");
    return;
  }
  const double receive_ms = ms_since(started);
  // The inputs are in: from here a client of protocol 4 hears from us every second.
  reply.start_progress();
  if (archive.empty()) {
    // Another client is uploading the toolchain: wait for it rather than upload it twice.
    if (m_toolchains.wait_for_upload(command.toolchain_id, k_upload_wait)) {
      archive = m_toolchains.use(command.toolchain_id);
    }
    if (archive.empty()) {
      reply.error(wire::ErrorCode::toolchain_missing, "the toolchain is not on this server");
      return;
    }
  }
  if (!claim_job(job_id)) {
    reply.error(wire::ErrorCode::unauthorized, "this job already ran (job tokens are single-use)");
    return;
  }
  run_claimed(job_id, command, archive, dir->inputs(), dir->outputs(), receive_ms, reply);
}

void JobService::run_claimed(const std::string& job_id, const wire::JobCommand& command,
                             const fs::path& archive, const fs::path& inputs,
                             const fs::path& outputs_dir, double receive_ms, JobReply& reply) {
  {
    std::lock_guard lock(m_mutex);
    m_running.insert(job_id);
  }
  struct Finish {
    JobService& service;
    const std::string& id;
    ~Finish() {
      {
        std::lock_guard lock(service.m_mutex);
        service.m_running.erase(id);
      }
      service.m_on_done(id);
    }
  } finish{*this, job_id};

  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point since) {
    return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
  };
  const auto started = Clock::now();
  double slot_wait_ms = 0;
  SandboxResult result;
  try {
    m_sandbox.prepare_toolchain(command.toolchain_id, archive);
    SandboxJob job;
    job.toolchain_id = command.toolchain_id;
    job.executable = command.executable;
    job.arguments = command.arguments;
    job.environment = command.environment;
    add_default_environment(job.environment);
    job.cwd = command.cwd;
    job.inputs_root = inputs;
    job.outputs_root = outputs_dir;
    job.outputs = command.outputs;
    job.timeout = std::chrono::seconds(std::clamp<uint32_t>(command.timeout_secs, 1, 3600));
    const auto waiting = Clock::now();
    Slot slot(*this);
    slot_wait_ms = ms_since(waiting);
    if (reply.gone()) {
      m_log->info("job {}: the client went away before its slot was free", job_id);
      return;
    }
    result = m_sandbox.run(job);
  } catch (const SandboxError& e) {
    m_log->error("job {} failed in the sandbox: {}", job_id, e.what());
    reply.error(wire::ErrorCode::sandbox_failure, e.what());
    return;
  }
  if (result.exit_code != 0 && disk_is_full(m_options.jobs_dir)) {
    // The compile may have failed for want of room for its object: not the user's code, and
    // another server may have room.
    m_log->error("job {} failed with the disk of {} full", job_id, m_options.jobs_dir.string());
    reply.error(wire::ErrorCode::no_space, "this build server's disk is full");
    return;
  }
  if (result.exit_code != 0 && compiler_could_not_run(result.stderr_data)) {
    // Not the user's code: the toolchain lacks something. The client compiles locally.
    m_log->warn("job {}: the compiler could not run from toolchain {}", job_id,
                command.toolchain_id.substr(0, 12));
    reply.error(
        wire::ErrorCode::toolchain_failed,
        "the compiler could not run from its toolchain: " + result.stderr_data.substr(0, 500));
    return;
  }
  wire::JobResult answer;
  answer.exit_code = result.exit_code;
  answer.term_signal = result.term_signal;
  answer.stdout_data = std::move(result.stdout_data);
  answer.stderr_data = std::move(result.stderr_data);
  answer.timings_ms = {{"receive", receive_ms},
                       {"slot_wait", slot_wait_ms},
                       {"setup", result.setup_time.count() / 1000.0},
                       {"compile", result.command_time.count() / 1000.0}};
  std::vector<util::TarEntry> outputs;
  for (const auto& path : result.collected) {
    answer.outputs.push_back(path);
    outputs.push_back({path, outputs_dir / fs::path(path).relative_path(), {}, 0644});
  }
  std::ostream& out = reply.result_stream();
  wire::write_frame(out, answer.to_json());
  util::write_tar_zst(out, outputs);
  m_log->debug("job {} done in {} ms: exit {}, {} outputs", job_id, ms_since(started),
               answer.exit_code, answer.outputs.size());
}

}  // namespace sccache
