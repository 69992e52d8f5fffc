// The control messages exchanged between clients, the scheduler and build servers: JSON bodies
// over the transport, described in docs/wire-protocol.md. Blobs (toolchains, inputs, outputs)
// travel as raw streams and are not defined here.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/wire_errors.hpp"

namespace sccache::wire {

// Our protocol version. Upstream sccache-dist's bincode protocol is "v1"; ours is JSON under
// /api/v2/: 2 was the first, 3 types every error reply (common/wire_errors.hpp), 4 streams
// progress frames in the run response (a frozen server is detected in seconds). A receiver
// accepts k_min_protocol_version to k_protocol_version; 3 is needed since a peer of version 2
// cannot read typed errors. A build server speaks 4 only to a client whose JobCommand says 4, and
// a client expects progress only from a server the scheduler says is of protocol 4.
inline constexpr int k_protocol_version = 4;
inline constexpr int k_min_protocol_version = 3;

inline constexpr std::string_view k_heartbeat_path = "/api/v2/server/heartbeat";
inline constexpr std::string_view k_status_path = "/api/v2/status";
inline constexpr std::string_view k_health_path = "/api/v2/health";
inline constexpr std::string_view k_alloc_path = "/api/v2/jobs/alloc";
inline constexpr std::string_view k_job_failed_path = "/api/v2/jobs/failed";
inline constexpr std::string_view k_jobs_done_path = "/api/v2/server/jobs_done";
// Build server routes; the id follows the prefix.
inline constexpr std::string_view k_toolchain_path_prefix = "/api/v2/toolchains/";
inline constexpr std::string_view k_run_path_prefix = "/api/v2/run/";

// A malformed message: the receiver answers 400 with this text.
class WireError : public std::runtime_error {
 public:
  explicit WireError(const std::string& message, ErrorCode code = ErrorCode::bad_request)
      : std::runtime_error(message), m_code(code) {}
  ErrorCode code() const noexcept { return m_code; }

 private:
  ErrorCode m_code;
};

// Build server -> scheduler, every heartbeat interval.
struct Heartbeat {
  int protocol = k_protocol_version;
  std::string server_id;  // the server's public_addr, "ip:port"
  std::string version;    // the server's software version
  uint32_t num_cpus = 0;
  uint32_t max_jobs = 0;
  uint32_t running_jobs = 0;
  std::string nonce;  // random per server start: a new nonce means the server restarted
  std::string cert_sha256;
  std::string cert_pem;
  std::string sandbox;  // e.g. "overlay+bwrap 0.8.0"
  std::string job_key;  // the key the scheduler signs this server's job tokens with (secret)
  std::vector<std::string> toolchains;       // toolchain ids the server holds
  std::vector<std::string> running_job_ids;  // jobs running now (the scheduler reconciles)

  std::string to_json() const;
  static Heartbeat from_json(std::string_view text);  // throws WireError
  // The server_id a heartbeat body claims, "" when there is none or it is no "ip:port": what
  // the scheduler
  // authenticates before it validates (and answers about) anything else. Never throws.
  static std::string claimed_server_id(std::string_view text) noexcept;
};

struct HeartbeatReply {
  bool is_new = false;  // first heartbeat of this server (or of this server start)
  uint32_t heartbeat_interval_secs = 3;
  uint32_t server_timeout_secs = 10;

  std::string to_json() const;
  static HeartbeatReply from_json(std::string_view text);
};

struct ServerStatus {
  std::string id;
  std::string version;
  uint32_t num_cpus = 0;
  uint32_t max_jobs = 0;
  uint32_t running_jobs = 0;
  uint64_t last_heartbeat_ms = 0;  // how long ago
  std::string sandbox;
};

struct SchedulerStatus {
  std::string version;
  uint32_t num_servers = 0;
  uint32_t num_cpus = 0;
  uint32_t in_progress = 0;
  std::vector<ServerStatus> servers;

  std::string to_json() const;
  static SchedulerStatus from_json(std::string_view text);
};

// Client -> scheduler: where should this job run?
struct AllocRequest {
  std::string toolchain_id;
  // How long the scheduler may hold the request waiting for a free slot before answering 503.
  uint32_t wait_ms = 0;
  std::string to_json() const;
  static AllocRequest from_json(std::string_view text);
};

struct AllocReply {
  std::string job_id;
  std::string server_id;    // the server's public_addr, "ip:port": where to connect
  std::string cert_sha256;  // the only certificate to accept from that server
  std::string job_token;    // Authorization for the server's job routes
  bool need_toolchain = true;
  int server_protocol = k_protocol_version;  // the server's, from its heartbeat
  std::string to_json() const;
  static AllocReply from_json(std::string_view text);
};

// Client -> scheduler, after a job failed for a reason that is the server's, not the code's.
struct JobFailure {
  std::string job_id;
  std::string server_id;
  std::string reason;
  std::string to_json() const;
  static JobFailure from_json(std::string_view text);
};

// Build server -> scheduler as soon as jobs finish, so their slots free at once.
struct JobsDone {
  std::string server_id;
  std::vector<std::string> job_ids;
  std::string to_json() const;
  static JobsDone from_json(std::string_view text);
};

// Client -> build server: the command of a job (first frame of the run request).
struct JobCommand {
  int protocol = k_protocol_version;  // the client's: 4 and up read progress frames
  std::string toolchain_id;
  std::string executable;
  std::vector<std::string> arguments;
  std::vector<std::pair<std::string, std::string>> environment;
  std::string cwd;
  std::vector<std::string> outputs;
  uint32_t timeout_secs = 600;
  std::string to_json() const;
  static JobCommand from_json(std::string_view text);
};

// Build server -> client: the result (first frame of the run response; the outputs follow as a
// tar stream).
struct JobResult {
  int exit_code = -1;
  int term_signal = 0;
  std::string stdout_data;  // base64 on the wire: compiler output need not be UTF-8
  std::string stderr_data;
  std::vector<std::string> outputs;  // job paths present in the following tar stream
  // Where the build server spent the job's time, in ms: "receive" (the inputs), "setup" (the
  // sandbox made ready), "compile" (the command). Optional: absent from older servers.
  std::map<std::string, double> timings_ms;
  std::string to_json() const;
  static JobResult from_json(std::string_view text);
};

// Length-prefixed frames inside a request or response body: a 4-byte big-endian length, then
// that many bytes (a JSON document).
void write_frame(std::ostream& out, std::string_view payload);
std::string read_frame(std::istream& in, uint32_t max_bytes);  // throws WireError

// The run response of protocol 4 (docs/wire-protocol.md, "Running a job"): once the inputs are
// accepted the server answers 200 at once and sends an empty frame at least every
// k_progress_interval while the job waits and runs, then one final frame: the JobResult (the
// outputs' tar stream follows) or an error reply (sccache/transport.hpp), and nothing after it.
inline constexpr std::chrono::seconds k_progress_interval{1};
void write_progress_frame(std::ostream& out);
// The final frame, empty frames skipped; `on_progress` runs for each (it may throw to give up).
std::string read_final_frame(std::istream& in, uint32_t max_bytes,
                             const std::function<void()>& on_progress);

}  // namespace sccache::wire
