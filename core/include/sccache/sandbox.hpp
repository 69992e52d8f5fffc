// Sandbox interface: where a build server runs one compile job in isolation.
//
// The server owns toolchain archives (verified, content-addressed) and each job's inputs; the
// sandbox turns a toolchain into something runnable once, then runs jobs against it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sccache/config_section.hpp"
#include "sccache/host_context.hpp"

namespace sccache {

// An infrastructure failure (not a failed compile): the client should compile locally.
class SandboxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~SandboxError() override;
};

// Limits every sandbox applies to a job, whatever its configuration: a job that goes past one
// gets a SandboxError (the client then compiles locally), never a truncated result. They keep a
// runaway or hostile job from filling the build server's memory or disk through its results.
inline constexpr uint64_t k_max_job_stream_bytes = uint64_t{64} << 20;      // stdout; stderr: each
inline constexpr uint64_t k_max_job_output_file_bytes = uint64_t{1} << 30;  // one output file
inline constexpr uint64_t k_max_job_outputs_bytes = uint64_t{4} << 30;      // all outputs
// What a toolchain archive may unpack to (entries; bytes of file data, uncompressed), so that a
// decompression bomb cannot fill a build server's disk. Past either, prepare_toolchain() throws.
inline constexpr uint64_t k_max_toolchain_entries = 500000;
inline constexpr uint64_t k_max_toolchain_bytes = uint64_t{8} << 30;

struct SandboxJob {
  std::string toolchain_id;            // prepared with prepare_toolchain() before run()
  std::string executable;              // absolute path inside the toolchain
  std::vector<std::string> arguments;  // argv[1..]
  std::vector<std::pair<std::string, std::string>> environment;
  std::string cwd;  // absolute path inside the job's root
  // Host directory holding the job's input tree; its contents appear at "/" in the job, above
  // the toolchain. The sandbox may not modify it.
  std::filesystem::path inputs_root;
  // Host directory (empty, owned by the caller) where the sandbox copies the collected outputs,
  // keeping their job paths: job path /a/b.o becomes outputs_root/a/b.o.
  std::filesystem::path outputs_root;
  std::vector<std::string> outputs;  // paths to collect, absolute or relative to cwd
  std::chrono::seconds timeout{600};
};

struct SandboxResult {
  int exit_code = -1;   // the compiler's exit status; -1 when killed by a signal
  int term_signal = 0;  // the signal that killed it, 0 otherwise
  std::string stdout_data;
  std::string stderr_data;
  std::vector<std::string> collected;  // absolute job paths found and copied into outputs_root
  // Where run() spent its time: making the sandbox ready for this job (inputs placed, a
  // sandbox started if none was ready), and the command itself. For logs and metrics.
  std::chrono::microseconds setup_time{0};
  std::chrono::microseconds command_time{0};
};

// Threads: all methods are thread-safe; run() may be called concurrently for different jobs.
// Failure: SandboxError for infrastructure problems; a compile error is a result, not an error.
class Sandbox {
 public:
  virtual ~Sandbox();
  // Checks that the sandbox can work on this machine (privileges, binaries); throws SandboxError
  // with an explanation an operator can act on. Called once at server start.
  virtual void check_ready() = 0;
  // Makes a verified toolchain archive (a tar, possibly zstd-compressed) runnable. Idempotent.
  virtual void prepare_toolchain(const std::string& toolchain_id,
                                 const std::filesystem::path& archive) = 0;
  virtual bool has_toolchain(const std::string& toolchain_id) const = 0;
  virtual void evict_toolchain(const std::string& toolchain_id) = 0;
  virtual SandboxResult run(const SandboxJob& job) = 0;
  // A short description for logs and status ("overlay+bwrap 0.8.0").
  virtual std::string describe() const = 0;
};

// ---- the job contract, shared by every sandbox plugin ------------------------------------------

// Whether `id` is a toolchain id: a lowercase hex SHA-256 (exactly 64 characters of [0-9a-f]).
bool is_toolchain_id(std::string_view id) noexcept;
// Throws SandboxError naming `id` (shortened, control characters shown as '?') unless it is one.
void require_toolchain_id(std::string_view id);
// Throws SandboxError when `job` breaks the contract above: the executable and cwd must be
// absolute, no path, argument or environment entry may contain a NUL byte, inputs_root must be a
// directory and outputs_root set.
void validate_sandbox_job(const SandboxJob& job);
// The absolute, normalised job path of `path`, which is absolute or relative to the absolute
// `cwd`; ".." never climbs above "/", and there is no trailing slash (except "/" itself).
std::string job_path(std::string_view cwd, std::string_view path);

class SandboxFactory {
 public:
  virtual ~SandboxFactory();
  // `config` is the server's [builder] table.
  virtual std::unique_ptr<Sandbox> create(std::string_view type, const ConfigSection& config,
                                          HostContext& host) const = 0;
};

}  // namespace sccache
