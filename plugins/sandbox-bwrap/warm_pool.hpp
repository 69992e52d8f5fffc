// Sandboxes made ahead of their jobs (warm_sandbox.hpp), a few per toolchain, so a job pays for
// its compile and not for bwrap's start (a dozen namespaces, about 12 ms). One background thread
// keeps each wanted toolchain's sandboxes topped up; a job that finds none ready makes its own on
// the spot, as fast as before there were warm ones.
//
// Threads: every method is thread-safe. Failure: take() throws SandboxError when no sandbox can
// be made; the background filler logs its failures and retries later.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "sandbox-bwrap/unpacked_toolchains.hpp"
#include "sandbox-bwrap/warm_sandbox.hpp"

namespace sccache::sandbox_bwrap {

class WarmPool {
 public:
  // `per_toolchain`: how many sandboxes to keep ready for each wanted toolchain (0: none, every
  // job makes its own). `setup` and `toolchains` must outlive the pool.
  WarmPool(const SandboxSetup& setup, UnpackedToolchains& toolchains, size_t per_toolchain);
  ~WarmPool();
  WarmPool(const WarmPool&) = delete;
  WarmPool& operator=(const WarmPool&) = delete;

  // From now on keeps sandboxes ready for `toolchain_id` (prepared).
  void want(const std::string& toolchain_id);
  // A sandbox for `toolchain_id`: a ready one if there is one, else one made now.
  std::unique_ptr<WarmSandbox> take(const std::string& toolchain_id);
  // A used sandbox: its toolchain is given back now, its teardown (an unmount waits for the
  // kernel's RCU grace periods, milliseconds) happens on a background thread.
  void retire(std::unique_ptr<WarmSandbox> sandbox);
  // Discards the ready sandboxes of `toolchain_id` and wants it no more (before its eviction).
  void drain(const std::string& toolchain_id);
  // How many are ready now (for tests and logs).
  size_t ready(const std::string& toolchain_id);

 private:
  void fill();
  void reap();
  // A toolchain short of ready sandboxes, or "" (under m_mutex).
  std::string short_of_sandboxes_locked() const;

  const SandboxSetup& m_setup;
  UnpackedToolchains& m_toolchains;
  const size_t m_per_toolchain;

  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;         // guarded by m_mutex
  std::set<std::string> m_wanted;  // guarded by m_mutex
  // The toolchain the filler is making a sandbox for now (guarded by m_mutex).
  std::string m_building;
  std::map<std::string, std::deque<std::unique_ptr<WarmSandbox>>> m_ready;  // guarded
  std::deque<std::unique_ptr<WarmSandbox>> m_retired;                       // guarded by m_mutex
  std::thread m_filler;
  std::thread m_reaper;
};

}  // namespace sccache::sandbox_bwrap
