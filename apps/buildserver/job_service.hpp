// The build server's job routes: toolchain uploads and job runs, each authorized by a job token
// the scheduler issued for this server.
//
//   PUT  /api/v2/toolchains/<id>   body: the archive           -> 200 | 400 | 401 | 413
//   POST /api/v2/run/<job id>      body: frame(JobCommand) + zstd tar of inputs
//                                  -> 200 [progress frames] frame(JobResult) + zstd tar of outputs
//                                  |  409 toolchain_missing when the toolchain is missing
//                                  (protocol 4: errors after the inputs are in come as a final
//                                  error frame of the 200, job_reply.hpp)
//
// Threads: handlers run on transport worker threads; at most max_jobs sandboxes run at once and
// further runs wait for a slot. Failure: a sandbox or I/O failure answers sandbox_failure (the
// client retries elsewhere, then compiles locally); a full disk no_space; a compile error is a
// result with the compiler's exit code.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sccache/sandbox.hpp"
#include "sccache/transport.hpp"

#include "buildserver/toolchain_archives.hpp"
#include "common/job_token.hpp"

namespace spdlog {
class logger;
}

namespace sccache {

class JobReply;
namespace wire {
struct JobCommand;
}

struct JobServiceOptions {
  std::string server_id;  // this server's public_addr, as job tokens name it
  std::string job_key;    // the key job tokens are signed with
  std::filesystem::path jobs_dir;
  unsigned max_jobs = 1;
  uint64_t max_input_bytes = 1ull << 30;
};

class JobService {
 public:
  // `on_done(job_id)` is called after every run that was started (success or not).
  JobService(JobServiceOptions options, Sandbox& sandbox, ToolchainArchives& toolchains,
             std::shared_ptr<spdlog::logger> log, std::function<void(const std::string&)> on_done);

  void add_routes(TransportServer& server);
  // The jobs running, and those whose upload or run request is being received (what the
  // heartbeat reports, so the scheduler keeps their slots).
  std::vector<std::string> running_job_ids() const;
  unsigned running_jobs() const;

 private:
  void handle_upload(ServerRequest& request, ServerResponse& response);
  void handle_run(ServerRequest& request, ServerResponse& response);
  // Checks the bearer job token; on failure answers 401 (with the reason) and returns nullopt.
  std::optional<JobClaims> authorize(ServerRequest& request, ServerResponse& response);
  // Marks a job id used; false if it was used before (a replayed token).
  bool claim_job(const std::string& job_id);
  bool job_was_claimed(const std::string& job_id) const;
  // Runs a claimed job in a slot and answers through `reply`.
  void run_claimed(const std::string& job_id, const wire::JobCommand& command,
                   const std::filesystem::path& archive, const std::filesystem::path& inputs,
                   const std::filesystem::path& outputs_dir, double receive_ms, JobReply& reply);

  class Slot;  // RAII: one of max_jobs concurrent sandbox runs
  // RAII: a request for the job arrived and is being handled (counted in m_arrived).
  class Arrival {
   public:
    Arrival(JobService& service, std::string job_id);
    ~Arrival();
    Arrival(const Arrival&) = delete;
    Arrival& operator=(const Arrival&) = delete;

   private:
    JobService& m_service;
    std::string m_job_id;
  };

  JobServiceOptions m_options;
  Sandbox& m_sandbox;
  ToolchainArchives& m_toolchains;
  std::shared_ptr<spdlog::logger> m_log;
  std::function<void(const std::string&)> m_on_done;

  mutable std::mutex m_mutex;
  std::condition_variable m_slot_free;
  unsigned m_busy_slots = 0;
  std::set<std::string> m_running;
  std::map<std::string, unsigned> m_arrived;  // job id -> requests being handled
  std::map<std::string, std::chrono::steady_clock::time_point> m_used_jobs;
};

}  // namespace sccache
