#include "image_store.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "image_tar.hpp"

namespace sccache::sandbox_docker {
namespace fs = std::filesystem;

namespace {}  // namespace

ImageStore::Lease::Lease(ImageStore& store, std::string id, std::string image, uint64_t import)
    : m_store(&store), m_id(std::move(id)), m_image(std::move(image)), m_import(import) {}

ImageStore::Lease::Lease(Lease&& other) noexcept
    : m_store(std::exchange(other.m_store, nullptr)),
      m_id(std::move(other.m_id)),
      m_image(std::move(other.m_image)),
      m_import(other.m_import) {}

ImageStore::Lease::~Lease() {
  if (m_store != nullptr) {
    try {
      m_store->release(m_id, m_import);
    } catch (...) {  // the image then stays until evicted again or the server stops
    }
  }
}

ImageStore::ImageStore(const EngineApi& engine, ContainerPool& pool, const DockerConfig& config,
                       std::string_view helper, std::shared_ptr<spdlog::logger> logger)
    : m_engine(engine),
      m_pool(pool),
      m_config(config),
      m_helper(helper),
      m_logger(std::move(logger)) {}

void ImageStore::prepare(const std::string& id, const fs::path& archive) {
  require_toolchain_id(id);
  std::vector<std::pair<std::string, std::string>> victims;
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
        return;
      }
      m_changed.wait(lock);  // another thread is importing it; use its result
    }
    victims = make_room_locked();
    m_entries[id] = Entry{};  // importing, by this thread
    m_entries[id].import = ++m_imports;
  }
  // Other calls for `id` wait while its entry says "importing": whatever ends this call before
  // the import is done (a failed import, an exception while evicting) must erase the entry.
  struct EraseUnlessImported {
    ImageStore& store;
    const std::string& id;
    bool imported = false;
    ~EraseUnlessImported() {
      if (!imported) {
        std::lock_guard lock(store.m_mutex);
        store.m_entries.erase(id);
        store.m_changed.notify_all();
      }
    }
  } guard{*this, id};
  for (const auto& [victim, image] : victims) {
    remove(victim, image);
  }
  const std::string image = import(id, archive);
  {
    std::lock_guard lock(m_mutex);
    guard.imported = true;
    Entry& entry = m_entries[id];
    entry.state = State::ready;
    entry.image = image;
    entry.last_used = ++m_clock;
    m_changed.notify_all();
  }
  m_pool.fill(id, image);
}

std::string ImageStore::import(const std::string& id, const fs::path& archive) {
  auto start = std::chrono::steady_clock::now();
  ImageLayout layout{m_helper};
  std::string image;
  try {
    image = m_engine.import_image(
        id, id, [&](std::ostream& out) { write_image_tar(archive, layout, out); });
  } catch (const SandboxError& e) {
    try {  // whatever the engine made of it
      for (const auto& partial : m_engine.images(id)) {
        m_engine.remove_image(partial);
      }
    } catch (const std::exception& cleanup) {
      m_logger->warn("cannot remove a failed image of toolchain {}: {}", id, cleanup.what());
    }
    throw SandboxError(fmt::format("cannot make the image of toolchain {} from {}: {}", id,
                                   archive.string(), e.what()));
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start);
  m_logger->info("prepared toolchain {} as image {} in {} ms", id, image.substr(0, 19), ms.count());
  return image;
}

std::vector<std::pair<std::string, std::string>> ImageStore::make_room_locked() {
  std::vector<std::pair<std::string, std::string>> victims;
  while (true) {
    size_t kept = 0;
    auto oldest = m_entries.end();
    for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
      if (it->second.evict_pending) {
        continue;
      }
      ++kept;
      if (it->second.state == State::ready &&
          (oldest == m_entries.end() || it->second.last_used < oldest->second.last_used)) {
        oldest = it;
      }
    }
    if (kept < m_config.max_images || oldest == m_entries.end()) {
      return victims;
    }
    m_logger->info("evicting toolchain image {} (least recently used; max_images = {})",
                   oldest->first, m_config.max_images);
    if (oldest->second.leases > 0) {
      oldest->second.evict_pending = true;
    } else {
      victims.emplace_back(oldest->first, oldest->second.image);
      m_entries.erase(oldest);
    }
  }
}

bool ImageStore::has(const std::string& id) const {
  std::lock_guard lock(m_mutex);
  auto it = m_entries.find(id);
  return it != m_entries.end() && it->second.state == State::ready && !it->second.evict_pending;
}

void ImageStore::evict(const std::string& id) {
  require_toolchain_id(id);
  std::string image;
  {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] {
      auto it = m_entries.find(id);
      return it == m_entries.end() || it->second.state != State::importing;
    });
    auto it = m_entries.find(id);
    if (it == m_entries.end()) {
      return;
    }
    if (it->second.leases > 0) {
      it->second.evict_pending = true;
      m_logger->info("toolchain {} will be evicted when its {} running job(s) end", id,
                     it->second.leases);
      return;
    }
    image = it->second.image;
    m_entries.erase(it);
  }
  remove(id, image);
}

ImageStore::Lease ImageStore::acquire(const std::string& id) {
  require_toolchain_id(id);
  std::lock_guard lock(m_mutex);
  auto it = m_entries.find(id);
  if (it == m_entries.end() || it->second.state != State::ready || it->second.evict_pending) {
    throw SandboxError(
        fmt::format("toolchain {} is not prepared (call prepare_toolchain first)", id));
  }
  ++it->second.leases;
  it->second.last_used = ++m_clock;
  return Lease(*this, id, it->second.image, it->second.import);
}

void ImageStore::forget(const Lease& lease) {
  const std::string& id = lease.m_id;
  {
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(id);
    if (it == m_entries.end() || it->second.import != lease.m_import) {
      return;
    }
    m_entries.erase(it);
    m_changed.notify_all();
  }
  m_logger->warn(
      "the image of toolchain {} ({}) is gone from the engine; it will be imported "
      "again when the toolchain is next prepared",
      id, lease.m_image.substr(0, 19));
  m_pool.drain(id);
}

void ImageStore::release(const std::string& id, uint64_t import) {
  std::string removed;
  {
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(id);
    // Another import of `id`: this lease's image was forgotten and `id` imported again since.
    if (it == m_entries.end() || it->second.import != import || --it->second.leases > 0 ||
        !it->second.evict_pending) {
      return;
    }
    removed = it->second.image;
    m_entries.erase(it);
  }
  remove(id, removed);
}

void ImageStore::remove(const std::string& id, const std::string& image) {
  // Failures are logged: the entry is gone already, and the image goes at the next start's
  // sweep of leftovers at the latest.
  m_pool.drain(id);
  try {
    for (const auto& container : m_engine.containers(id)) {
      m_engine.remove_container(container);  // used ones not removed yet
    }
  } catch (const std::exception& e) {
    m_logger->warn("cannot remove the containers of toolchain {}: {}", id, e.what());
  }
  try {
    m_engine.remove_image(image);
    m_logger->info("evicted toolchain {} (image {})", id, image.substr(0, 19));
  } catch (const std::exception& e) {
    m_logger->warn("cannot remove the image of toolchain {}: {}", id, e.what());
  }
}

void ImageStore::remove_all() {
  std::map<std::string, Entry, std::less<>> entries;
  {
    std::lock_guard lock(m_mutex);
    entries.swap(m_entries);
  }
  for (const auto& [id, entry] : entries) {
    if (entry.state == State::ready) {
      remove(id, entry.image);
    }
  }
}

std::vector<std::string> ImageStore::toolchains() const {
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

}  // namespace sccache::sandbox_docker
