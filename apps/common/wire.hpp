// The control messages exchanged between clients, the scheduler and build servers: JSON bodies
// over the transport, described in docs/wire-protocol.md. Blobs (toolchains, inputs, outputs)
// travel as raw streams and are not defined here.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sccache::wire {

// Our protocol version. Upstream sccache-dist's bincode protocol is "v1"; ours is JSON "v2".
inline constexpr int k_protocol_version = 2;
inline constexpr int k_min_protocol_version = 2;

inline constexpr std::string_view k_heartbeat_path = "/api/v2/server/heartbeat";
inline constexpr std::string_view k_status_path = "/api/v2/status";
inline constexpr std::string_view k_health_path = "/api/v2/health";

// A malformed message: the receiver answers 400 with this text.
class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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

  std::string to_json() const;
  static Heartbeat from_json(std::string_view text);  // throws WireError
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

// {"error": message}
std::string error_json(std::string_view message);
// The "error" field of such a body, or the body itself (truncated) if it is not one.
std::string error_from_body(std::string_view body);

}  // namespace sccache::wire
