#include "sccache/toolchain_leases.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "sccache/sandbox.hpp"

namespace sccache {

ToolchainLeases::Backend::~Backend() = default;

std::optional<std::string> ToolchainLeases::Backend::find_existing(const std::string&) const {
  return std::nullopt;
}

ToolchainLeases::Lease::Lease(ToolchainLeases& owner, std::string id, std::string handle,
                              uint64_t generation)
    : m_owner(&owner), m_id(std::move(id)), m_handle(std::move(handle)), m_generation(generation) {}

ToolchainLeases::Lease::Lease(Lease&& other) noexcept
    : m_owner(std::exchange(other.m_owner, nullptr)),
      m_id(std::move(other.m_id)),
      m_handle(std::move(other.m_handle)),
      m_generation(other.m_generation) {}

ToolchainLeases::Lease::~Lease() {
  if (m_owner != nullptr) {
    try {
      m_owner->release(m_id, m_generation);
    } catch (...) {  // only bad_alloc: the toolchain then stays until evicted again
    }
  }
}

ToolchainLeases::ToolchainLeases(Backend& backend, std::shared_ptr<spdlog::logger> logger,
                                 size_t max_prepared)
    : m_backend(backend), m_logger(std::move(logger)), m_max_prepared(max_prepared) {}

std::optional<std::string> ToolchainLeases::prepare(const std::string& id,
                                                    const std::filesystem::path& archive) {
  require_toolchain_id(id);
  Victims victims;
  uint64_t generation = 0;
  {
    std::unique_lock lock(m_mutex);
    while (true) {
      auto it = m_entries.find(id);
      if (it == m_entries.end()) {
        break;
      }
      if (it->second.state == State::ready) {
        it->second.evict_pending = false;  // wanted again: keep it
        it->second.last_used = ++m_clock;
        return std::nullopt;
      }
      m_changed.wait(lock);  // being prepared (use its result) or removed (then prepare anew)
    }
    victims = make_room_locked();
    generation = ++m_generations;
    m_entries[id] = Entry{State::preparing, {}, 0, false, ++m_clock, generation};
  }
  // Other callers for `id` wait while it is `preparing`: whatever ends this call before it is
  // ready (a failed backend, an exception while making room) must erase the entry.
  struct EraseUnlessReady {
    ToolchainLeases& owner;
    const std::string& id;
    bool ready = false;
    ~EraseUnlessReady() {
      if (!ready) {
        std::lock_guard lock(owner.m_mutex);
        owner.m_entries.erase(id);
        owner.m_changed.notify_all();
      }
    }
  } guard{*this, id};
  destroy(victims);
  std::optional<std::string> handle = m_backend.find_existing(id);
  if (!handle) {
    handle = m_backend.materialize(id, archive);
  }
  std::lock_guard lock(m_mutex);
  Entry& entry = m_entries[id];
  entry.state = State::ready;
  entry.handle = *handle;
  entry.generation = generation;
  guard.ready = true;
  m_changed.notify_all();
  return handle;
}

ToolchainLeases::Victims ToolchainLeases::make_room_locked() {
  Victims victims;
  if (m_max_prepared == 0) {
    return victims;
  }
  while (true) {
    size_t kept = 0;
    auto oldest = m_entries.end();
    for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
      if (it->second.evict_pending || it->second.state == State::removing) {
        continue;
      }
      ++kept;
      if (it->second.state == State::ready &&
          (oldest == m_entries.end() || it->second.last_used < oldest->second.last_used)) {
        oldest = it;
      }
    }
    if (kept < m_max_prepared || oldest == m_entries.end()) {
      return victims;
    }
    m_logger->info("evicting toolchain {} (least recently used; at most {} are kept)",
                   oldest->first, m_max_prepared);
    if (oldest->second.leases > 0) {
      oldest->second.evict_pending = true;
    } else {
      oldest->second.state = State::removing;
      victims.emplace_back(oldest->first, oldest->second.handle);
    }
  }
}

void ToolchainLeases::destroy(const Victims& victims) {
  for (const auto& [id, handle] : victims) {
    m_backend.destroy(id, handle);
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(id);
    if (it != m_entries.end() && it->second.state == State::removing) {
      m_entries.erase(it);
    }
    m_changed.notify_all();
  }
}

bool ToolchainLeases::has(const std::string& id) const {
  if (!is_toolchain_id(id)) {
    return false;
  }
  {
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(id);
    if (it != m_entries.end()) {
      return it->second.state == State::ready && !it->second.evict_pending;
    }
  }
  return m_backend.find_existing(id).has_value();
}

void ToolchainLeases::evict(const std::string& id) {
  require_toolchain_id(id);
  Victims victims;
  {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] {
      auto it = m_entries.find(id);
      return it == m_entries.end() || it->second.state == State::ready;
    });
    auto it = m_entries.find(id);
    if (it == m_entries.end()) {
      // Not known in this run, but an earlier run's may be on disk.
      if (auto existing = m_backend.find_existing(id)) {
        m_entries[id] = Entry{State::removing, *existing, 0, false, 0, 0};
        victims.emplace_back(id, *existing);
      }
    } else if (it->second.leases > 0) {
      it->second.evict_pending = true;
      m_logger->info("toolchain {} will be evicted when its {} running job(s) end", id,
                     it->second.leases);
      return;
    } else {
      it->second.state = State::removing;
      victims.emplace_back(id, it->second.handle);
    }
  }
  destroy(victims);
}

ToolchainLeases::Lease ToolchainLeases::acquire(const std::string& id) {
  require_toolchain_id(id);
  std::unique_lock lock(m_mutex);
  auto it = m_entries.find(id);
  if (it == m_entries.end()) {
    // Adopt what an earlier run left (asked without the lock: the backend may touch the disk).
    lock.unlock();
    std::optional<std::string> existing = m_backend.find_existing(id);
    lock.lock();
    it = m_entries.find(id);
    if (it == m_entries.end() && existing) {
      it =
          m_entries.emplace(id, Entry{State::ready, *existing, 0, false, 0, ++m_generations}).first;
    }
  }
  if (it == m_entries.end() || it->second.state != State::ready || it->second.evict_pending) {
    throw SandboxError("toolchain " + id + " is not prepared (call prepare_toolchain first)");
  }
  ++it->second.leases;
  it->second.last_used = ++m_clock;
  return Lease(*this, id, it->second.handle, it->second.generation);
}

void ToolchainLeases::release(const std::string& id, uint64_t generation) {
  Victims victims;
  {
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(id);
    // Another generation: this lease's toolchain was forgotten and `id` prepared again since.
    if (it == m_entries.end() || it->second.generation != generation || --it->second.leases > 0 ||
        !it->second.evict_pending) {
      return;
    }
    it->second.state = State::removing;
    victims.emplace_back(id, it->second.handle);
  }
  destroy(victims);
}

bool ToolchainLeases::forget(const Lease& lease) {
  std::lock_guard lock(m_mutex);
  auto it = m_entries.find(lease.m_id);
  if (it == m_entries.end() || it->second.generation != lease.m_generation ||
      it->second.state != State::ready) {
    return false;
  }
  m_entries.erase(it);
  m_changed.notify_all();
  return true;
}

std::vector<std::string> ToolchainLeases::prepared() const {
  std::lock_guard lock(m_mutex);
  std::vector<std::pair<uint64_t, std::string>> order;
  for (const auto& [id, entry] : m_entries) {
    if (entry.state == State::ready && !entry.evict_pending) {
      order.emplace_back(entry.last_used, id);
    }
  }
  std::sort(order.begin(), order.end());
  std::vector<std::string> ids;
  for (auto& [used, id] : order) {
    ids.push_back(std::move(id));
  }
  return ids;
}

std::vector<std::pair<std::string, std::string>> ToolchainLeases::take_all() {
  std::lock_guard lock(m_mutex);
  std::vector<std::pair<std::string, std::string>> all;
  for (auto it = m_entries.begin(); it != m_entries.end();) {
    if (it->second.state == State::ready) {
      all.emplace_back(it->first, it->second.handle);
      it = m_entries.erase(it);
    } else {
      ++it;
    }
  }
  m_changed.notify_all();
  return all;
}

}  // namespace sccache
