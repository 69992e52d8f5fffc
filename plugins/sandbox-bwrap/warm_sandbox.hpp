// A job's sandbox, made before its job arrives: on a thread of its own, a private mount namespace
// with the overlay (the toolchain as the lower layer, a fresh upper layer), and bwrap started with
// every namespace and the gate (gate/main.cpp) as the job's process, waiting for its command.
// Running a job then costs what the job needs, not bwrap's start: its inputs are copied into the
// root, the command is handed to the gate, which execs it.
//
// Used once: a sandbox never sees a second job. Made ahead by WarmPool, or on the spot when none
// is ready (the same code, on the job's path).
//
// Threads: run() once, from any thread; the destructor from any thread. Failure: SandboxError,
// from the constructor when the sandbox cannot be made, from run() for infrastructure problems
// (the job's inputs, a command that cannot start, a timeout, the job limits). The scratch
// directory goes in every case.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "sccache/sandbox.hpp"
#include "sccache/toolchain_leases.hpp"

#include "util/process.hpp"
#include "util/unique_fd.hpp"

#include "sandbox-bwrap/overlay_dirs.hpp"

namespace spdlog {
class logger;
}

namespace sccache::sandbox_bwrap {

// What every sandbox of one overlay builder shares.
struct SandboxSetup {
  std::filesystem::path bwrap;
  bool clearenv = true;  // bwrap >= 0.5 understands --clearenv
  std::filesystem::path builds_dir;
  std::filesystem::path gate;  // the gate binary on the host, bound read-only into each sandbox
  std::shared_ptr<spdlog::logger> logger;
};

class WarmSandbox {
 public:
  // Holds `lease` (its toolchain stays) until destroyed. Returns once the gate waits.
  WarmSandbox(const SandboxSetup& setup, ToolchainLeases::Lease lease);
  ~WarmSandbox();
  WarmSandbox(const WarmSandbox&) = delete;
  WarmSandbox& operator=(const WarmSandbox&) = delete;

  const std::string& toolchain_id() const { return m_toolchain_id; }
  // Whether it still waits for a job (its bwrap may have been killed meanwhile).
  bool alive();
  // `job.toolchain_id` must be this sandbox's.
  SandboxResult run(const SandboxJob& job);
  // After run(): gives the toolchain back (nothing runs on it any more; the overlay that still
  // names it is unmounted by the destructor), so an eviction need not wait for the teardown.
  void release_toolchain();

 private:
  void hold_namespace(std::promise<void>& ready);

  const SandboxSetup& m_setup;
  const std::string m_toolchain_id;
  std::optional<ToolchainLeases::Lease> m_lease;
  OverlayDirs m_dirs;
  util::UniqueFd m_out;
  util::UniqueFd m_err;
  util::UniqueFd m_info;
  util::UniqueFd m_command;      // our end of the gate's command channel
  util::UniqueFd m_exec_status;  // read end: the gate's exec result
  util::UniqueFd m_root;         // O_PATH of the mounted root, opened in the namespace thread
  std::optional<util::Child> m_bwrap;
  bool m_used = false;

  std::mutex m_mutex;
  std::condition_variable m_released_cv;
  bool m_released = false;  // guarded by m_mutex: the namespace thread may unmount and end
  std::thread m_thread;
};

}  // namespace sccache::sandbox_bwrap
