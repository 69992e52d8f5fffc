#include "sccache/deferred_removal.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace sccache {
namespace {

class Remover {
 public:
  void push(std::filesystem::path path) {
    {
      std::lock_guard lock(m_mutex);
      m_queue.push_back(std::move(path));
      if (!m_started) {
        m_started = true;
        std::thread([this] { work(); }).detach();
      }
    }
    m_wake.notify_all();
  }

  void flush() {
    std::unique_lock lock(m_mutex);
    m_idle.wait(lock, [this] { return m_queue.empty() && !m_busy; });
  }

 private:
  void work() {
    std::unique_lock lock(m_mutex);
    while (true) {
      m_wake.wait(lock, [this] { return !m_queue.empty(); });
      std::filesystem::path path = std::move(m_queue.front());
      m_queue.pop_front();
      m_busy = true;
      lock.unlock();
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
      lock.lock();
      m_busy = false;
      m_idle.notify_all();
    }
  }

  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::condition_variable m_idle;
  std::deque<std::filesystem::path> m_queue;
  bool m_started = false;
  bool m_busy = false;
};

// Never destroyed: the detached worker may still wait on it while the process exits.
Remover& remover() {
  static Remover* instance = new Remover();
  return *instance;
}

}  // namespace

void remove_tree_later(std::filesystem::path path) {
  remover().push(std::move(path));
}

void flush_deferred_removals() {
  remover().flush();
}

}  // namespace sccache
