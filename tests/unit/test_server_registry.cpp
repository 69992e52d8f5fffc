// The scheduler's placement: lowest load, toolchain locality, preload slots, back-off after a
// failure, freeing slots, expiry, restarts and waiting for capacity.
#include <thread>

#include <catch2/catch.hpp>

#include "scheduler/server_registry.hpp"

using namespace sccache;
using Clock = ServerRegistry::Clock;
using namespace std::chrono_literals;

namespace {

const std::string k_tc_a(64, 'a');
const std::string k_tc_b(64, 'b');

wire::Heartbeat heartbeat(const std::string& id, uint32_t slots,
                          std::vector<std::string> toolchains = {}, std::string nonce = "n1") {
  wire::Heartbeat h;
  h.server_id = id;
  h.num_cpus = slots;
  h.max_jobs = slots;
  h.nonce = std::move(nonce);
  h.cert_sha256 = "cert-" + id;
  h.job_key = "key-" + id;
  h.toolchains = std::move(toolchains);
  return h;
}

}  // namespace

TEST_CASE("new servers register; the same nonce is not new, a new nonce is a restart") {
  ServerRegistry registry(10s);
  auto now = Clock::now();
  CHECK(registry.record_heartbeat(heartbeat("s1", 4), now));
  CHECK_FALSE(registry.record_heartbeat(heartbeat("s1", 4), now));
  CHECK(registry.record_heartbeat(heartbeat("s1", 4, {}, "n2"), now));
  CHECK(registry.live_servers(now) == 1);
}

TEST_CASE("the least loaded server wins, and load spreads") {
  ServerRegistry registry(10s);
  auto now = Clock::now();
  registry.record_heartbeat(heartbeat("s1", 4, {k_tc_a}), now);
  registry.record_heartbeat(heartbeat("s2", 4, {k_tc_a}), now);
  std::map<std::string, int> placed;
  for (int i = 0; i < 8; ++i) {
    auto a = registry.allocate(k_tc_a, now);
    REQUIRE(a);
    placed[a->server_id]++;
    CHECK_FALSE(a->need_toolchain);
    CHECK(a->job_key == "key-" + a->server_id);
  }
  CHECK(placed["s1"] == 4);
  CHECK(placed["s2"] == 4);
}

TEST_CASE("a server holding the toolchain is preferred, within reason") {
  ServerRegistry registry(10s);
  auto now = Clock::now();
  registry.record_heartbeat(heartbeat("has", 4, {k_tc_a}), now);
  registry.record_heartbeat(heartbeat("lacks", 4), now);
  auto first = registry.allocate(k_tc_a, now);
  REQUIRE(first);
  CHECK(first->server_id == "has");
  CHECK_FALSE(first->need_toolchain);
  // Now "has" (1/4 load) ties "lacks" (idle, but 0.25 for the missing toolchain); ties go to
  // the server that has waited longest for work.
  auto second = registry.allocate(k_tc_a, now);
  REQUIRE(second);
  CHECK(second->server_id == "lacks");
  CHECK(second->need_toolchain);
  // Once promised to "lacks", its toolchain counts as held: no second upload is requested.
  for (int i = 0; i < 4; ++i) {
    auto next = registry.allocate(k_tc_a, now);
    REQUIRE(next);
    CHECK_FALSE(next->need_toolchain);
  }
  CHECK(registry.status(now).in_progress == 6);
}

TEST_CASE("capacity is the slots plus a quarter for preloading; done jobs free slots") {
  ServerRegistry registry(10s);
  auto now = Clock::now();
  registry.record_heartbeat(heartbeat("s1", 4, {k_tc_a}), now);
  std::vector<std::string> jobs;
  for (int i = 0; i < 5; ++i) {
    auto a = registry.allocate(k_tc_a, now);
    REQUIRE(a);
    jobs.push_back(a->job_id);
  }
  CHECK_FALSE(registry.allocate(k_tc_a, now));
  CHECK(registry.status(now).in_progress == 5);
  registry.jobs_done("s1", {jobs[0], jobs[1]});
  CHECK(registry.allocate(k_tc_a, now));
  CHECK(registry.allocate(k_tc_a, now));
  CHECK_FALSE(registry.allocate(k_tc_a, now));
  // Job ids are unique.
  std::sort(jobs.begin(), jobs.end());
  CHECK(std::adjacent_find(jobs.begin(), jobs.end()) == jobs.end());
}

TEST_CASE("a failed server is backed off, still used when nothing else has room") {
  ServerRegistry registry(10s);
  auto now = Clock::now();
  registry.record_heartbeat(heartbeat("bad", 8, {k_tc_a}), now);
  registry.record_heartbeat(heartbeat("good", 1, {k_tc_a}), now);
  auto a = registry.allocate(k_tc_a, now);
  REQUIRE(a);
  CHECK(a->server_id == "bad");  // 8 idle slots beat 1
  CHECK(registry.job_failed("bad", a->job_id, now));
  CHECK_FALSE(registry.job_failed("bad", a->job_id, now));  // only once
  auto b = registry.allocate(k_tc_a, now);
  REQUIRE(b);
  CHECK(b->server_id == "good");
  registry.allocate(k_tc_a, now);  // good's preload slot
  auto c = registry.allocate(k_tc_a, now);
  REQUIRE(c);
  CHECK(c->server_id == "bad");  // the only one with room
  // After the back-off (1 s for a first failure) it competes normally again.
  registry.jobs_done("good", {b->job_id});
  auto later = now + 2s;
  registry.record_heartbeat(heartbeat("bad", 8, {k_tc_a}), later);
  registry.record_heartbeat(heartbeat("good", 1, {k_tc_a}), later);
  auto d = registry.allocate(k_tc_a, later);
  REQUIRE(d);
  CHECK(d->server_id == "bad");
}

TEST_CASE("silent servers expire and take no jobs; a restart forgets old jobs") {
  ServerRegistry registry(3s);
  auto now = Clock::now();
  registry.record_heartbeat(heartbeat("s1", 1, {k_tc_a}), now);
  REQUIRE(registry.allocate(k_tc_a, now));
  REQUIRE(registry.allocate(k_tc_a, now));
  CHECK_FALSE(registry.allocate(k_tc_a, now));
  registry.record_heartbeat(heartbeat("s1", 1, {k_tc_a}, "restarted"), now);
  CHECK(registry.allocate(k_tc_a, now));
  auto later = now + 4s;
  CHECK_FALSE(registry.allocate(k_tc_b, later));
  CHECK(registry.status(later).num_servers == 0);
  CHECK(registry.expire(later) == std::vector<std::string>{"s1"});
}

TEST_CASE("an assignment that never starts gives its slot back after the grace period") {
  ServerRegistry registry(1h);
  auto now = Clock::now();
  registry.record_heartbeat(heartbeat("s1", 1, {k_tc_a}), now);
  auto a = registry.allocate(k_tc_a, now);
  auto b = registry.allocate(k_tc_a, now);
  REQUIRE(a);
  REQUIRE(b);
  auto later = now + ServerRegistry::k_start_grace + 1s;
  auto hb = heartbeat("s1", 1, {k_tc_a});
  hb.running_job_ids = {b->job_id};  // b runs, a never showed up
  registry.record_heartbeat(hb, later);
  CHECK(registry.status(later).in_progress == 1);
}

TEST_CASE("a waiting allocation gets the first slot that frees, or times out") {
  ServerRegistry registry(10s);
  auto now = Clock::now();
  registry.record_heartbeat(heartbeat("s1", 1, {k_tc_a}), now);
  auto a = registry.allocate(k_tc_a, now);
  auto b = registry.allocate(k_tc_a, now);
  REQUIRE(b);
  auto start = Clock::now();
  CHECK_FALSE(registry.allocate_waiting(k_tc_a, 200ms));
  CHECK(Clock::now() - start >= 190ms);
  std::thread freer([&] {
    std::this_thread::sleep_for(100ms);
    registry.jobs_done("s1", {a->job_id});
  });
  start = Clock::now();
  auto waited = registry.allocate_waiting(k_tc_a, 5s);
  freer.join();
  CHECK(waited);
  CHECK(Clock::now() - start < 2s);
  // close() releases waiters at once.
  std::thread closer([&] {
    std::this_thread::sleep_for(100ms);
    registry.close();
  });
  start = Clock::now();
  CHECK_FALSE(registry.allocate_waiting(k_tc_a, 10s));
  closer.join();
  CHECK(Clock::now() - start < 5s);
}
