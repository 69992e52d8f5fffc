// sccache::ToolchainLeases over a fake backend that records every call and can hold
// materialize() at a gate: concurrent prepares of one id materialize once, eviction waits for the
// last lease, the max_prepared cap evicts the least recently used, forget() and a failing
// materialize leave nothing behind. Threads are ordered by the backend's gate and by waiting for
// its recorded calls, never by sleeping.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>
#include <spdlog/logger.h>

#include "sccache/sandbox.hpp"
#include "sccache/toolchain_leases.hpp"

using sccache::SandboxError;
using sccache::ToolchainLeases;

namespace {

const std::string k_a(64, 'a');
const std::string k_b(64, 'b');
const std::string k_c(64, 'c');

class FakeBackend final : public ToolchainLeases::Backend {
 public:
  // materialize() waits at the gate while it is closed.
  void close_gate() {
    std::lock_guard lock(m_mutex);
    m_gate_open = false;
  }
  void open_gate() {
    {
      std::lock_guard lock(m_mutex);
      m_gate_open = true;
    }
    m_changed.notify_all();
  }
  // The next `count` materialize() calls throw SandboxError.
  void fail_next(int count) {
    std::lock_guard lock(m_mutex);
    m_failures = count;
  }
  void leave_existing(const std::string& id, const std::string& handle) {
    std::lock_guard lock(m_mutex);
    m_existing[id] = handle;
  }
  // Blocks until materialize() has been entered `count` times in all (bounded: false on timeout).
  bool wait_for_materialize_calls(int count) {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, std::chrono::seconds(30),
                              [&] { return m_materialize_calls >= count; });
  }

  std::string materialize(const std::string& id, const std::filesystem::path&) override {
    std::unique_lock lock(m_mutex);
    const int call = ++m_materialize_calls;
    m_events.push_back("materialize " + id.substr(0, 1));
    m_changed.notify_all();
    m_changed.wait(lock, [&] { return m_gate_open; });
    if (m_failures > 0) {
      --m_failures;
      m_events.push_back("failed " + id.substr(0, 1));
      throw SandboxError("the fake backend fails as told");
    }
    m_events.push_back("made " + id.substr(0, 1));
    return "handle-" + id.substr(0, 1) + "-" + std::to_string(call);
  }
  void destroy(const std::string& id, const std::string& handle) noexcept override {
    std::lock_guard lock(m_mutex);
    m_events.push_back("destroy " + id.substr(0, 1));
    m_destroyed.push_back(handle);
    m_changed.notify_all();
  }
  std::optional<std::string> find_existing(const std::string& id) const override {
    std::lock_guard lock(m_mutex);
    auto it = m_existing.find(id);
    return it == m_existing.end() ? std::nullopt : std::optional<std::string>(it->second);
  }

  int materialize_calls() const {
    std::lock_guard lock(m_mutex);
    return m_materialize_calls;
  }
  std::vector<std::string> destroyed() const {
    std::lock_guard lock(m_mutex);
    return m_destroyed;
  }
  std::vector<std::string> events() const {
    std::lock_guard lock(m_mutex);
    return m_events;
  }

 private:
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  bool m_gate_open = true;
  int m_failures = 0;
  int m_materialize_calls = 0;
  std::vector<std::string> m_events;
  std::vector<std::string> m_destroyed;
  std::map<std::string, std::string> m_existing;
};

struct Fixture {
  FakeBackend backend;
  std::shared_ptr<spdlog::logger> logger = std::make_shared<spdlog::logger>("leases-test");
};

const std::filesystem::path k_archive = "/unused/archive.tar";

}  // namespace

TEST_CASE("prepare materializes once; acquire leases the handle") {
  Fixture f;
  ToolchainLeases leases(f.backend, f.logger);
  CHECK_FALSE(leases.has(k_a));
  CHECK_THROWS_AS(leases.acquire(k_a), SandboxError);
  CHECK(leases.prepare(k_a, k_archive) == std::optional<std::string>("handle-a-1"));
  CHECK(leases.prepare(k_a, k_archive) == std::nullopt);  // ready: nothing to do
  CHECK(f.backend.materialize_calls() == 1);
  CHECK(leases.has(k_a));
  ToolchainLeases::Lease lease = leases.acquire(k_a);
  CHECK(lease.id() == k_a);
  CHECK(lease.handle() == "handle-a-1");
  CHECK(leases.prepared() == std::vector<std::string>{k_a});
  // Ids are SHA-256 hex digests, checked on every call.
  CHECK_THROWS_AS(leases.prepare("../etc", k_archive), SandboxError);
  CHECK_THROWS_AS(leases.evict("ABC"), SandboxError);
  CHECK_FALSE(leases.has("not-an-id"));
}

TEST_CASE("concurrent prepare() calls of one id materialize it once") {
  Fixture f;
  ToolchainLeases leases(f.backend, f.logger);
  f.backend.close_gate();
  constexpr int k_callers = 6;
  std::atomic<int> usable_on_return{0};
  std::vector<std::future<std::optional<std::string>>> calls;
  for (int i = 0; i < k_callers; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      auto handle = leases.prepare(k_a, k_archive);
      // However it returned, the toolchain is ready for this caller's job now.
      if (leases.has(k_a)) {
        leases.acquire(k_a);
        ++usable_on_return;
      }
      return handle;
    }));
  }
  // One caller is inside materialize(); while it is, the id is not usable.
  REQUIRE(f.backend.wait_for_materialize_calls(1));
  CHECK_FALSE(leases.has(k_a));
  CHECK_THROWS_AS(leases.acquire(k_a), SandboxError);
  f.backend.open_gate();
  int made = 0;
  for (auto& call : calls) {
    std::optional<std::string> handle = call.get();
    if (handle) {
      CHECK(*handle == "handle-a-1");
      ++made;
    }
  }
  CHECK(made == 1);  // the others found it prepared, or waited for it
  CHECK(usable_on_return == k_callers);
  CHECK(f.backend.materialize_calls() == 1);
  CHECK(leases.has(k_a));
}

TEST_CASE("evict() of a leased toolchain destroys it when the last lease ends") {
  Fixture f;
  ToolchainLeases leases(f.backend, f.logger);
  leases.prepare(k_a, k_archive);
  std::optional<ToolchainLeases::Lease> first = leases.acquire(k_a);
  std::optional<ToolchainLeases::Lease> second = leases.acquire(k_a);
  leases.evict(k_a);  // does not wait: the removal is pending
  CHECK(f.backend.destroyed().empty());
  CHECK_FALSE(leases.has(k_a));
  CHECK(leases.prepared().empty());
  CHECK_THROWS_AS(leases.acquire(k_a), SandboxError);  // no new job starts on it
  CHECK(second->handle() == "handle-a-1");             // the running ones keep theirs
  first.reset();
  CHECK(f.backend.destroyed().empty());
  second.reset();
  CHECK(f.backend.destroyed() == std::vector<std::string>{"handle-a-1"});
  CHECK_FALSE(leases.has(k_a));
  // Preparing again makes it anew.
  CHECK(leases.prepare(k_a, k_archive) == std::optional<std::string>("handle-a-2"));
}

TEST_CASE("prepare() of a toolchain whose eviction is pending keeps it") {
  Fixture f;
  ToolchainLeases leases(f.backend, f.logger);
  leases.prepare(k_a, k_archive);
  std::optional<ToolchainLeases::Lease> lease = leases.acquire(k_a);
  leases.evict(k_a);
  CHECK(leases.prepare(k_a, k_archive) == std::nullopt);  // wanted again: eviction cancelled
  CHECK(leases.has(k_a));
  lease.reset();
  CHECK(f.backend.destroyed().empty());
  CHECK(f.backend.materialize_calls() == 1);
}

TEST_CASE("evict() of an idle toolchain destroys it at once; of one being prepared, after") {
  Fixture f;
  ToolchainLeases leases(f.backend, f.logger);
  leases.prepare(k_a, k_archive);
  leases.evict(k_a);
  CHECK(f.backend.destroyed() == std::vector<std::string>{"handle-a-1"});

  f.backend.close_gate();
  auto preparing = std::async(std::launch::async, [&] { return leases.prepare(k_b, k_archive); });
  REQUIRE(f.backend.wait_for_materialize_calls(2));
  auto evicting = std::async(std::launch::async, [&] { leases.evict(k_b); });
  f.backend.open_gate();
  CHECK(preparing.get() == std::optional<std::string>("handle-b-2"));
  evicting.get();
  // Whenever evict() ran, it destroyed b only once b was made.
  const std::vector<std::string> events = f.backend.events();
  CHECK(events == std::vector<std::string>{"materialize a", "made a", "destroy a", "materialize b",
                                           "made b", "destroy b"});
  CHECK_FALSE(leases.has(k_b));
}

TEST_CASE("max_prepared keeps at most N, least recently used out first") {
  Fixture f;
  ToolchainLeases leases(f.backend, f.logger, /*max_prepared=*/2);
  leases.prepare(k_a, k_archive);
  leases.prepare(k_b, k_archive);
  leases.acquire(k_a);  // a is now more recently used than b (the lease ends at once)
  CHECK(leases.prepared() == std::vector<std::string>{k_b, k_a});
  leases.prepare(k_c, k_archive);
  CHECK(f.backend.destroyed() == std::vector<std::string>{"handle-b-2"});
  CHECK(leases.prepared() == std::vector<std::string>{k_a, k_c});

  // The least recently used is leased: it goes when its job ends, not before.
  std::optional<ToolchainLeases::Lease> on_a = leases.acquire(k_a);
  leases.acquire(k_c);  // now a is the least recently used
  leases.prepare(k_b, k_archive);
  CHECK(leases.prepared() == std::vector<std::string>{k_c, k_b});
  CHECK_FALSE(leases.has(k_a));
  CHECK(f.backend.destroyed() == std::vector<std::string>{"handle-b-2"});
  on_a.reset();
  CHECK(f.backend.destroyed() == std::vector<std::string>{"handle-b-2", "handle-a-1"});
}

TEST_CASE("forget() drops a vanished toolchain without destroying it; old leases stay inert") {
  Fixture f;
  ToolchainLeases leases(f.backend, f.logger);
  leases.prepare(k_a, k_archive);
  std::optional<ToolchainLeases::Lease> old_lease = leases.acquire(k_a);
  CHECK(leases.forget(*old_lease));
  CHECK_FALSE(leases.forget(*old_lease));  // already forgotten
  CHECK_FALSE(leases.has(k_a));
  CHECK(f.backend.destroyed().empty());
  CHECK_THROWS_AS(leases.acquire(k_a), SandboxError);

  // The next prepare() makes it again; the old lease neither keeps nor removes the new one.
  CHECK(leases.prepare(k_a, k_archive) == std::optional<std::string>("handle-a-2"));
  CHECK_FALSE(leases.forget(*old_lease));  // another generation now
  std::optional<ToolchainLeases::Lease> new_lease = leases.acquire(k_a);
  leases.evict(k_a);  // pending on the new lease
  old_lease.reset();
  CHECK(f.backend.destroyed().empty());
  new_lease.reset();
  CHECK(f.backend.destroyed() == std::vector<std::string>{"handle-a-2"});
}

TEST_CASE("a failing materialize leaves nothing, and a later prepare() retries") {
  Fixture f;
  ToolchainLeases leases(f.backend, f.logger);
  f.backend.fail_next(1);
  CHECK_THROWS_AS(leases.prepare(k_a, k_archive), SandboxError);
  CHECK_FALSE(leases.has(k_a));
  CHECK(leases.prepared().empty());
  CHECK_THROWS_AS(leases.acquire(k_a), SandboxError);
  CHECK(f.backend.destroyed().empty());
  CHECK(leases.prepare(k_a, k_archive) == std::optional<std::string>("handle-a-2"));
  CHECK(leases.has(k_a));
}

TEST_CASE("a caller waiting on a preparation that fails prepares it itself") {
  Fixture f;
  ToolchainLeases leases(f.backend, f.logger);
  f.backend.fail_next(1);
  f.backend.close_gate();
  auto failing = std::async(std::launch::async, [&] { return leases.prepare(k_a, k_archive); });
  REQUIRE(f.backend.wait_for_materialize_calls(1));
  auto waiting = std::async(std::launch::async, [&] { return leases.prepare(k_a, k_archive); });
  f.backend.open_gate();
  CHECK_THROWS_AS(failing.get(), SandboxError);
  CHECK(waiting.get() == std::optional<std::string>("handle-a-2"));
  CHECK(f.backend.materialize_calls() == 2);
  CHECK(leases.has(k_a));
}

TEST_CASE("what an earlier run left is adopted instead of materialized") {
  Fixture f;
  f.backend.leave_existing(k_a, "left-a");
  f.backend.leave_existing(k_b, "left-b");
  ToolchainLeases leases(f.backend, f.logger);
  CHECK(leases.has(k_a));
  CHECK(leases.prepare(k_a, k_archive) == std::optional<std::string>("left-a"));
  CHECK(leases.acquire(k_b).handle() == "left-b");  // acquire adopts too
  CHECK(f.backend.materialize_calls() == 0);
  leases.evict(k_c);  // neither known nor left: nothing to do
  CHECK(f.backend.destroyed().empty());
  auto all = leases.take_all();
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<std::pair<std::string, std::string>>{{k_a, "left-a"}, {k_b, "left-b"}});
  CHECK(leases.prepared().empty());
}
