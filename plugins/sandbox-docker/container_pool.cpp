#include "sandbox-docker/container_pool.hpp"

#include <spdlog/spdlog.h>

namespace sccache::sandbox_docker {

namespace {
constexpr unsigned k_workers = 2;
}

ContainerPool::ContainerPool(const EngineApi& engine, unsigned pool_size,
                             std::shared_ptr<spdlog::logger> logger)
    : m_engine(engine), m_pool_size(pool_size), m_logger(std::move(logger)) {
  for (unsigned i = 0; i < k_workers; ++i) {
    m_workers.emplace_back([this] { worker(); });
  }
}

ContainerPool::~ContainerPool() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  for (auto& thread : m_workers) {
    thread.join();
  }
  // No worker is left: finish the removals and take the warm containers down with us.
  for (const auto& id : m_removals) {
    m_engine.remove_container(id);
  }
  for (auto& [toolchain, pool] : m_pools) {
    for (const auto& container : pool.warm) {
      m_engine.remove_container(container.id);
    }
  }
}

ContainerPool::Taken ContainerPool::take(const std::string& toolchain, const std::string& image) {
  {
    std::lock_guard lock(m_mutex);
    Pool& pool = m_pools[toolchain];
    pool.image = image;
    if (!pool.warm.empty()) {
      Taken taken{std::move(pool.warm.front()), true};
      pool.warm.pop_front();
      refill_locked(toolchain, pool);
      return taken;
    }
    refill_locked(toolchain, pool);
  }
  return Taken{m_engine.launch_container(image, toolchain), false};
}

void ContainerPool::fill(const std::string& toolchain, const std::string& image) {
  std::lock_guard lock(m_mutex);
  Pool& pool = m_pools[toolchain];
  pool.image = image;
  refill_locked(toolchain, pool);
}

void ContainerPool::refill_locked(const std::string& toolchain, Pool& pool) {
  while (!m_stopping && !pool.draining && pool.warm.size() + pool.starting < m_pool_size) {
    ++pool.starting;
    m_starts.push_back({toolchain, pool.image});
    m_wake.notify_one();
  }
}

void ContainerPool::discard(const std::string& id) {
  std::lock_guard lock(m_mutex);
  m_removals.push_back(id);
  m_wake.notify_one();
}

void ContainerPool::flush(const std::string& toolchain) {
  std::lock_guard lock(m_mutex);
  auto it = m_pools.find(toolchain);
  if (it == m_pools.end()) {
    return;
  }
  for (auto& container : it->second.warm) {
    m_removals.push_back(std::move(container.id));
  }
  it->second.warm.clear();
  m_wake.notify_all();
  refill_locked(toolchain, it->second);
}

void ContainerPool::drain(const std::string& toolchain) {
  std::deque<WarmContainer> doomed;
  {
    std::unique_lock lock(m_mutex);
    auto it = m_pools.find(toolchain);
    if (it == m_pools.end()) {
      return;
    }
    it->second.draining = true;
    m_changed.wait(lock, [&] { return it->second.starting == 0; });
    doomed = std::move(it->second.warm);
    m_pools.erase(it);
  }
  for (const auto& container : doomed) {
    m_engine.remove_container(container.id);
  }
}

void ContainerPool::worker() {
  std::unique_lock lock(m_mutex);
  while (true) {
    m_wake.wait(lock, [&] { return m_stopping || !m_starts.empty() || !m_removals.empty(); });
    if (m_stopping) {
      // Starts still queued will not happen.
      for (const auto& task : m_starts) {
        auto it = m_pools.find(task.toolchain);
        if (it != m_pools.end() && it->second.starting > 0) {
          --it->second.starting;
        }
      }
      m_starts.clear();
      m_changed.notify_all();
      return;
    }
    ++m_busy;
    if (!m_starts.empty()) {  // starts first: a job may be waiting for a warm container
      StartTask task = std::move(m_starts.front());
      m_starts.pop_front();
      lock.unlock();
      start_one(task);
    } else {
      std::string id = std::move(m_removals.front());
      m_removals.pop_front();
      lock.unlock();
      try {
        m_engine.remove_container(id);
      } catch (...) {  // an exception leaving the thread would end the process
        log_failure("cannot remove container", id);
      }
    }
    lock.lock();
    --m_busy;
    m_changed.notify_all();
  }
}

void ContainerPool::start_one(const StartTask& task) {
  WarmContainer container;
  try {
    container = m_engine.launch_container(task.image, task.toolchain);
  } catch (...) {  // whatever it is, the bookkeeping below must happen
    log_failure("cannot start a warm container for toolchain", task.toolchain);
  }
  std::unique_lock lock(m_mutex);
  auto it = m_pools.find(task.toolchain);
  bool keep = it != m_pools.end() && !it->second.draining && !m_stopping &&
              it->second.image == task.image && container.connection != nullptr;
  if (it != m_pools.end()) {
    --it->second.starting;
    if (keep) {
      it->second.warm.push_back(std::move(container));
    }
  }
  lock.unlock();
  if (!keep && container.connection != nullptr) {
    m_engine.remove_container(container.id);
  }
}

void ContainerPool::log_failure(const char* what, const std::string& subject) const noexcept {
  try {
    try {
      throw;
    } catch (const std::exception& e) {
      m_logger->warn("{} {}: {}", what, subject, e.what());
    } catch (...) {
      m_logger->warn("{} {}: an unknown exception", what, subject);
    }
  } catch (...) {  // logging failed as well (out of memory): nothing more to do
  }
}

void ContainerPool::wait_idle() {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] {
    bool starting = false;
    for (const auto& [toolchain, pool] : m_pools) {
      starting = starting || pool.starting > 0;
    }
    return m_starts.empty() && m_removals.empty() && m_busy == 0 && !starting;
  });
}

size_t ContainerPool::warm_count(const std::string& toolchain) const {
  std::lock_guard lock(m_mutex);
  auto it = m_pools.find(toolchain);
  return it == m_pools.end() ? 0 : it->second.warm.size();
}

}  // namespace sccache::sandbox_docker
