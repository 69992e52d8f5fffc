// RedisStore against a real redis-server (tests/support/redis_server.hpp): values round-trip,
// the key layout and TTLs on the server, read-only, AUTH and SELECT, a stopped and a hung server
// (error, timeout, back-off, recovery), the connection pool, and many threads at once.
#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Redis/Command.h>
#include <catch2/catch.hpp>

#include "util/random.hpp"
#include "util/sha256.hpp"

#include "client/cache/redis_store.hpp"
#include "support/redis_server.hpp"

namespace sccache::cache {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::RedisServer;

RedisConfig config_for(const RedisServer& server) {
  RedisConfig config;
  config.host = "127.0.0.1";
  config.port = server.port();
  config.password = server.password();
  config.timeout = 1000ms;
  config.retry_after = 200ms;
  return config;
}

// A key as the cache makes them: a hex digest and a kind letter.
std::string key_of(const std::string& seed) {
  return util::sha256_hex(seed) + "R";
}

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

void report(const std::string& what, std::chrono::milliseconds took) {
  std::cout << "timing: " << what << ": " << took.count() << " ms" << std::endl;
}

int64_t exists(const RedisServer& server, const std::string& redis_key, int64_t db = 0) {
  Poco::Redis::Command command("EXISTS");
  command << redis_key;
  return server.client(db)->execute<Poco::Int64>(command);
}

std::vector<std::string> keys(const RedisServer& server) {
  Poco::Redis::Command command("KEYS");
  command << "*";
  const auto reply = server.client()->execute<Poco::Redis::Array>(command);
  std::vector<std::string> names;
  for (size_t i = 0; i < reply.size(); ++i) {
    names.push_back(reply.get<Poco::Redis::BulkString>(i).value());
  }
  return names;
}

int64_t ttl(const RedisServer& server, const std::string& redis_key) {
  Poco::Redis::Command command("TTL");
  command << redis_key;
  return server.client()->execute<Poco::Int64>(command);
}

// The server's connected_clients (our own query's connection included).
int connected_clients(const RedisServer& server) {
  Poco::Redis::Command command("INFO");
  command << "clients";
  const std::string info = server.client()->execute<Poco::Redis::BulkString>(command).value();
  const size_t at = info.find("connected_clients:");
  REQUIRE(at != std::string::npos);
  return std::stoi(info.substr(at + 18));
}

// Polls until the store answers without an error again (the back-off window has passed).
bool recovers(RedisStore& store, const std::string& key, std::chrono::milliseconds within) {
  const auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    const ReadStatus status = store.get(key).status;
    if (status == ReadStatus::hit || status == ReadStatus::miss) {
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST_CASE("redis store: put then get returns the same bytes; a missing key is a miss") {
  RedisServer server;
  RedisStore store(config_for(server));

  CHECK(store.get(key_of("missing")).status == ReadStatus::miss);

  std::string binary;
  for (int i = 0; i < 1024; ++i) {
    binary.push_back(static_cast<char>(i % 256));  // NULs, CR, LF, high bytes
  }
  binary += std::string("\r\n$-1\r\n\0\0", 10);
  const std::string big = util::random_bytes(5u << 20);
  const std::vector<std::pair<std::string, std::string>> entries = {
      {key_of("text"), "an object file"},
      {key_of("binary"), binary},
      {key_of("empty"), ""},
      {key_of("big"), big}};

  for (const auto& [key, bytes] : entries) {
    const auto start = Clock::now();
    const WriteResult written = store.put(key, bytes);
    INFO(written.error);
    REQUIRE(written.status == WriteStatus::stored);
    if (bytes.size() == big.size()) {
      report("put 5 MB", since(start));
    }
  }
  for (const auto& [key, bytes] : entries) {
    const auto start = Clock::now();
    const ReadResult read = store.get(key);
    INFO(read.error);
    REQUIRE(read.status == ReadStatus::hit);
    CHECK(read.bytes.size() == bytes.size());
    CHECK(read.bytes == bytes);
    if (bytes.size() == big.size()) {
      report("get 5 MB", since(start));
    }
  }

  store.remove(key_of("text"));
  CHECK(store.get(key_of("text")).status == ReadStatus::miss);
  CHECK(store.get(key_of("binary")).status == ReadStatus::hit);
}

TEST_CASE("redis store: keys are <prefix>/<k0>/<k1>/<k2>/<key> on the server") {
  RedisServer server;
  const std::string key = key_of("layout");
  const std::string sharded = key.substr(0, 1) + "/" + key.substr(1, 1) + "/" + key.substr(2, 1);

  SECTION("without a prefix") {
    RedisStore store(config_for(server));
    CHECK(store.redis_key(key) == sharded + "/" + key);
    REQUIRE(store.put(key, "v").status == WriteStatus::stored);
    CHECK(exists(server, sharded + "/" + key) == 1);
    CHECK(keys(server) == std::vector<std::string>{sharded + "/" + key});
  }
  SECTION("with a prefix") {
    RedisConfig config = config_for(server);
    config.key_prefix = "ci/cache";
    RedisStore store(config);
    REQUIRE(store.put(key, "v").status == WriteStatus::stored);
    CHECK(keys(server) == std::vector<std::string>{"ci/cache/" + sharded + "/" + key});
  }
  SECTION("a prefix ending in a slash gets no second one") {
    RedisConfig config = config_for(server);
    config.key_prefix = "ci/";
    RedisStore store(config);
    REQUIRE(store.put(key, "v").status == WriteStatus::stored);
    CHECK(keys(server) == std::vector<std::string>{"ci/" + sharded + "/" + key});
  }
}

TEST_CASE("redis store: ttl_seconds sets an expiry (SETEX), none without") {
  RedisServer server;
  RedisConfig config = config_for(server);
  RedisStore forever(config);
  config.ttl_seconds = 3600;
  RedisStore expiring(config);

  REQUIRE(forever.put(key_of("forever"), "v").status == WriteStatus::stored);
  REQUIRE(expiring.put(key_of("expiring"), "v").status == WriteStatus::stored);
  CHECK(ttl(server, forever.redis_key(key_of("forever"))) == -1);
  const int64_t left = ttl(server, expiring.redis_key(key_of("expiring")));
  CHECK(left > 3500);
  CHECK(left <= 3600);
  CHECK(expiring.get(key_of("expiring")).bytes == "v");
}

TEST_CASE("redis store: a read-only store reads but never writes") {
  RedisServer server;
  RedisStore writer(config_for(server));
  RedisConfig config = config_for(server);
  config.read_only = true;
  RedisStore reader(config);
  CHECK(reader.read_only());
  CHECK_FALSE(writer.read_only());

  REQUIRE(writer.put(key_of("shared"), "from the writer").status == WriteStatus::stored);
  CHECK(reader.get(key_of("shared")).bytes == "from the writer");
  CHECK(reader.put(key_of("mine"), "v").status == WriteStatus::skipped);
  reader.remove(key_of("shared"));
  CHECK(server.dbsize() == 1);
  CHECK(exists(server, writer.redis_key(key_of("shared"))) == 1);

  // Not even a connection: a hung server costs a read-only put nothing.
  server.pause();
  const auto start = Clock::now();
  CHECK(reader.put(key_of("mine"), "v").status == WriteStatus::skipped);
  CHECK(since(start) < 150ms);  // no network wait; slack for a loaded machine
  server.resume();
}

TEST_CASE("redis store: AUTH with a password, or a username and a password") {
  const std::string password = "s3cret-Pa55-word";
  RedisServer server(password);

  SECTION("the right password") {
    RedisStore store(config_for(server));
    REQUIRE(store.put(key_of("a"), "authenticated").status == WriteStatus::stored);
    CHECK(store.get(key_of("a")).bytes == "authenticated");
    CHECK(store.location().find(password) == std::string::npos);
  }
  SECTION("the default user by name") {
    RedisConfig config = config_for(server);
    config.username = "default";
    RedisStore store(config);
    REQUIRE(store.put(key_of("a"), "by name").status == WriteStatus::stored);
    CHECK(store.get(key_of("a")).bytes == "by name");
  }
  SECTION("a wrong password is an error that does not quote it") {
    RedisConfig config = config_for(server);
    config.password = "wrong-" + password;
    RedisStore store(config);
    const ReadResult read = store.get(key_of("a"));
    CHECK(read.status == ReadStatus::error);
    CHECK_FALSE(read.error.empty());
    CHECK(read.error.find(config.password) == std::string::npos);
    CHECK(read.error.find(password) == std::string::npos);
    CHECK(store.location().find("wrong") == std::string::npos);
    std::this_thread::sleep_for(config.retry_after);
    const WriteResult written = store.put(key_of("a"), "v");
    CHECK(written.status == WriteStatus::error);
    CHECK(written.error.find(password) == std::string::npos);
    CHECK(server.dbsize() == 0);
  }
  SECTION("no password at all is an error") {
    RedisConfig config = config_for(server);
    config.password.clear();
    RedisStore store(config);
    CHECK(store.put(key_of("a"), "v").status == WriteStatus::error);
  }
}

TEST_CASE("redis store: db selects the database") {
  RedisServer server;
  RedisConfig config = config_for(server);
  config.db = 3;
  RedisStore three(config);
  RedisStore zero(config_for(server));
  CHECK(three.location() == "Redis: redis://127.0.0.1:" + std::to_string(server.port()) + "/3");
  CHECK(zero.location() == "Redis: redis://127.0.0.1:" + std::to_string(server.port()) + "/0");

  REQUIRE(three.put(key_of("a"), "in three").status == WriteStatus::stored);
  CHECK(three.get(key_of("a")).bytes == "in three");
  CHECK(zero.get(key_of("a")).status == ReadStatus::miss);
  CHECK(server.dbsize(3) == 1);
  CHECK(server.dbsize(0) == 0);
  CHECK(exists(server, three.redis_key(key_of("a")), 3) == 1);
}

TEST_CASE("redis store: a stopped server is an error at once, then the store backs off") {
  RedisServer server;
  RedisConfig config = config_for(server);
  config.retry_after = 500ms;
  RedisStore store(config);
  REQUIRE(store.put(key_of("a"), "v").status == WriteStatus::stored);  // a pooled connection

  server.stop();
  auto start = Clock::now();
  const ReadResult refused = store.get(key_of("a"));
  const auto took = since(start);
  report("get from a stopped server", took);
  CHECK(refused.status == ReadStatus::error);
  CHECK_FALSE(refused.error.empty());
  CHECK(took < 1000ms);

  start = Clock::now();
  const ReadResult backing_off = store.get(key_of("a"));
  const WriteResult put_backing_off = store.put(key_of("b"), "v");
  CHECK(since(start) <
        150ms);  // no network wait (the timeout is 300 ms); slack for a loaded machine
  CHECK(backing_off.status == ReadStatus::error);
  CHECK(backing_off.error.find("redis unavailable (retrying in") != std::string::npos);
  CHECK(put_backing_off.status == WriteStatus::error);
  CHECK(put_backing_off.error.find("redis unavailable") != std::string::npos);

  // Back after the window: the next call tries again.
  server.start();
  start = Clock::now();
  REQUIRE(recovers(store, key_of("a"), 5s));
  report("recovered after a restart (retry_after 500 ms)", since(start));
  CHECK(since(start) >= 300ms);
  REQUIRE(store.put(key_of("b"), "again").status == WriteStatus::stored);
  CHECK(store.get(key_of("b")).bytes == "again");
}

TEST_CASE("redis store: nothing listening at all is an error, quickly") {
  RedisServer server;
  RedisConfig config = config_for(server);
  server.stop();
  RedisStore store(config);
  const auto start = Clock::now();
  const WriteResult written = store.put(key_of("a"), "v");
  CHECK(written.status == WriteStatus::error);
  CHECK(since(start) < 1000ms);
}

TEST_CASE("redis store: a pooled connection to a restarted server is replaced, not an error") {
  RedisServer server;
  RedisStore store(config_for(server));
  REQUIRE(store.put(key_of("a"), "v").status == WriteStatus::stored);
  server.stop();
  server.start();
  const ReadResult read = store.get(key_of("a"));
  INFO(read.error);
  CHECK(read.status == ReadStatus::miss);  // the restart lost the data, not the store its way
}

TEST_CASE("redis store: a hung server is a timeout, then the store recovers") {
  RedisServer server;
  RedisConfig config = config_for(server);
  config.timeout = 300ms;
  config.retry_after = 200ms;
  RedisStore store(config);
  REQUIRE(store.put(key_of("kept"), "kept bytes").status == WriteStatus::stored);

  server.pause();
  auto start = Clock::now();
  const ReadResult hung = store.get(key_of("kept"));
  auto took = since(start);
  report("get from a paused server (timeout 300 ms)", took);
  CHECK(hung.status == ReadStatus::timeout);
  CHECK(hung.bytes.empty());
  CHECK(took >= 250ms);
  CHECK(took < 1000ms);

  start = Clock::now();
  CHECK(store.get(key_of("kept")).status == ReadStatus::error);  // backing off
  CHECK(since(start) <
        150ms);  // no network wait (the timeout is 300 ms); slack for a loaded machine

  // A fresh connection: the kernel accepts it, the reply to SET never comes.
  std::this_thread::sleep_for(config.retry_after);
  start = Clock::now();
  const WriteResult small = store.put(key_of("small"), "v");
  took = since(start);
  report("put to a paused server", took);
  CHECK(small.status == WriteStatus::timeout);
  CHECK(took < 1000ms);

  // A value larger than the socket buffers: the send itself times out, once the kernel stops
  // taking more (each partial send may last up to the timeout while the buffers grow).
  std::this_thread::sleep_for(config.retry_after);
  start = Clock::now();
  const WriteResult large = store.put(key_of("large"), std::string(64u << 20, 'x'));
  took = since(start);
  report("put 64 MB to a paused server", took);
  INFO(large.error);
  CHECK(large.status == WriteStatus::timeout);
  CHECK(took < 10s);

  server.resume();
  start = Clock::now();
  REQUIRE(recovers(store, key_of("kept"), 5s));
  report("recovered after resume (retry_after 200 ms)", since(start));
  CHECK(store.get(key_of("kept")).bytes == "kept bytes");
  REQUIRE(store.put(key_of("after"), "after").status == WriteStatus::stored);
  CHECK(store.get(key_of("after")).bytes == "after");
}

// A fake Redis on a loopback port: answers the first command of its first connection with
// `reply`, then closes it or (hold_open) keeps it open without another byte.
class HalfReply {
 public:
  HalfReply(std::string reply, bool hold_open)
      : m_listener(Poco::Net::SocketAddress("127.0.0.1", 0)),
        m_thread([this, reply = std::move(reply), hold_open] {
          Poco::Net::StreamSocket peer = m_listener.acceptConnection();
          char request[256];
          peer.receiveBytes(request, sizeof request);
          peer.sendBytes(reply.data(), static_cast<int>(reply.size()));
          if (hold_open) {
            std::this_thread::sleep_for(1500ms);
          }
        }) {}
  ~HalfReply() { m_thread.join(); }
  uint16_t port() const { return m_listener.address().port(); }

 private:
  Poco::Net::ServerSocket m_listener;
  std::thread m_thread;
};

TEST_CASE("redis store: a reply cut short is never a hit") {
  RedisConfig config;
  config.host = "127.0.0.1";
  config.timeout = 300ms;

  SECTION("the server closes the connection mid-value: an error") {
    HalfReply server("$100\r\nonly part of the value", false);
    config.port = server.port();
    RedisStore store(config);
    const ReadResult read = store.get(key_of("a"));
    INFO(read.error);
    CHECK(read.status == ReadStatus::error);
    CHECK(read.bytes.empty());
  }
  SECTION("the server stalls mid-value: a timeout") {
    HalfReply server("$100\r\nonly part of the value", true);
    config.port = server.port();
    RedisStore store(config);
    const auto start = Clock::now();
    const ReadResult read = store.get(key_of("a"));
    report("get of a value stalled midway (timeout 300 ms)", since(start));
    INFO(read.error);
    CHECK(read.status == ReadStatus::timeout);
    CHECK(read.bytes.empty());
    CHECK(since(start) < 1000ms);
  }
}

TEST_CASE("redis store: sequential calls reuse one connection") {
  RedisServer server;
  RedisStore store(config_for(server));
  for (int i = 0; i < 20; ++i) {
    REQUIRE(store.put(key_of(std::to_string(i)), "v").status == WriteStatus::stored);
    REQUIRE(store.get(key_of(std::to_string(i))).status == ReadStatus::hit);
  }
  CHECK(connected_clients(server) == 2);  // the store's one and this query's
}

TEST_CASE("redis store: 16 threads putting and getting at once all get their bytes") {
  RedisServer server;
  RedisStore store(config_for(server));
  constexpr int k_threads = 16;
  constexpr int k_rounds = 50;
  std::atomic<int> wrong{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < k_rounds; ++round) {
        const std::string seed = std::to_string(t) + "/" + std::to_string(round);
        const std::string bytes = seed + util::random_bytes(static_cast<size_t>(round) * 997);
        if (store.put(key_of(seed), bytes).status != WriteStatus::stored) {
          ++failed;
          continue;
        }
        const ReadResult read = store.get(key_of(seed));
        if (read.status != ReadStatus::hit) {
          ++failed;
        } else if (read.bytes != bytes) {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  report("16 threads x 50 put+get", since(start));
  CHECK(failed == 0);
  CHECK(wrong == 0);
  CHECK(server.dbsize() == k_threads * k_rounds);
  CHECK(connected_clients(server) <= 8 + 1);  // at most 8 idle ones are kept
}

}  // namespace
}  // namespace sccache::cache
