#include "sandbox-bwrap/warm_pool.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

namespace sccache::sandbox_bwrap {

namespace {

// After a sandbox could not be made, the filler waits this long before trying again.
constexpr std::chrono::seconds k_retry_after{2};

}  // namespace

WarmPool::WarmPool(const SandboxSetup& setup, UnpackedToolchains& toolchains, size_t per_toolchain)
    : m_setup(setup), m_toolchains(toolchains), m_per_toolchain(per_toolchain) {
  if (m_per_toolchain > 0) {
    m_filler = std::thread([this] { fill(); });
  }
  m_reaper = std::thread([this] { reap(); });
}

void WarmPool::retire(std::unique_ptr<WarmSandbox> sandbox) {
  sandbox->release_toolchain();
  {
    std::lock_guard lock(m_mutex);
    m_retired.push_back(std::move(sandbox));
  }
  m_wake.notify_all();
}

void WarmPool::reap() {
  std::unique_lock lock(m_mutex);
  while (true) {
    m_wake.wait(lock, [this] { return m_stopping || !m_retired.empty(); });
    if (m_retired.empty()) {
      return;  // stopping, and nothing left to tear down
    }
    std::unique_ptr<WarmSandbox> sandbox = std::move(m_retired.front());
    m_retired.pop_front();
    lock.unlock();
    sandbox.reset();
    lock.lock();
  }
}

WarmPool::~WarmPool() {
  std::map<std::string, std::deque<std::unique_ptr<WarmSandbox>>> ready;
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
    ready.swap(m_ready);
  }
  m_wake.notify_all();
  if (m_filler.joinable()) {
    m_filler.join();
  }
  m_reaper.join();  // after tearing down every retired sandbox
  // `ready` goes here, outside the lock: each sandbox ends its bwrap and thread.
}

void WarmPool::want(const std::string& toolchain_id) {
  if (m_per_toolchain == 0) {
    return;
  }
  {
    std::lock_guard lock(m_mutex);
    if (!m_wanted.insert(toolchain_id).second) {
      return;
    }
  }
  m_wake.notify_all();
}

std::unique_ptr<WarmSandbox> WarmPool::take(const std::string& toolchain_id) {
  std::deque<std::unique_ptr<WarmSandbox>> dead;
  std::unique_ptr<WarmSandbox> sandbox;
  {
    std::lock_guard lock(m_mutex);
    auto& queue = m_ready[toolchain_id];
    while (!queue.empty() && !sandbox) {
      std::unique_ptr<WarmSandbox> candidate = std::move(queue.front());
      queue.pop_front();
      if (candidate->alive()) {
        sandbox = std::move(candidate);
      } else {
        dead.push_back(std::move(candidate));  // its bwrap ended (killed meanwhile)
      }
    }
  }
  m_wake.notify_all();  // one fewer ready: top up
  if (!dead.empty()) {
    m_setup.logger->warn("discarded {} warm sandbox(es) of toolchain {} that had ended",
                         dead.size(), toolchain_id.substr(0, 12));
  }
  if (sandbox) {
    return sandbox;
  }
  return std::make_unique<WarmSandbox>(m_setup, m_toolchains.leases().acquire(toolchain_id));
}

void WarmPool::drain(const std::string& toolchain_id) {
  std::deque<std::unique_ptr<WarmSandbox>> doomed;
  {
    std::unique_lock lock(m_mutex);
    m_wanted.erase(toolchain_id);
    // One being made now holds a lease on the toolchain too: wait until it is discarded.
    m_wake.wait(lock, [&] { return m_building != toolchain_id; });
    auto it = m_ready.find(toolchain_id);
    if (it != m_ready.end()) {
      doomed.swap(it->second);
      m_ready.erase(it);
    }
  }
}

size_t WarmPool::ready(const std::string& toolchain_id) {
  std::lock_guard lock(m_mutex);
  auto it = m_ready.find(toolchain_id);
  return it == m_ready.end() ? 0 : it->second.size();
}

std::string WarmPool::short_of_sandboxes_locked() const {
  for (const auto& id : m_wanted) {
    auto it = m_ready.find(id);
    if (it == m_ready.end() || it->second.size() < m_per_toolchain) {
      return id;
    }
  }
  return "";
}

void WarmPool::fill() {
  std::unique_lock lock(m_mutex);
  while (true) {
    m_wake.wait(lock, [this] { return m_stopping || !short_of_sandboxes_locked().empty(); });
    if (m_stopping) {
      return;
    }
    const std::string id = short_of_sandboxes_locked();
    m_building = id;
    lock.unlock();
    std::unique_ptr<WarmSandbox> sandbox;
    bool failed = false;
    try {
      sandbox = std::make_unique<WarmSandbox>(m_setup, m_toolchains.leases().acquire(id));
    } catch (const std::exception& e) {
      m_setup.logger->warn("cannot make a sandbox ahead for toolchain {}: {}", id.substr(0, 12),
                           e.what());
      failed = true;
    }
    lock.lock();
    if (sandbox && !m_stopping && m_wanted.count(id) != 0) {
      m_ready[id].push_back(std::move(sandbox));
    }
    if (failed) {
      m_wanted.erase(id);  // wanted again at the next prepare
      m_wake.wait_for(lock, k_retry_after, [this] { return m_stopping; });
    }
    if (sandbox) {  // not wanted any more: discard it without the lock
      lock.unlock();
      sandbox.reset();
      lock.lock();
    }
    m_building.clear();
    m_wake.notify_all();  // a drain() may wait for this one
  }
}

}  // namespace sccache::sandbox_bwrap
